"""The evidence's schema: typed, versioned models of everything a probe returns.

``models`` describes the evidence of the current version (``EVIDENCE_VERSION``);
``upgrade`` turns evidence stored by earlier versions into the current shape;
``validate`` is the one gate evidence passes when it is stored and when it is loaded.
"""

from meting.evidence.models import EVIDENCE_VERSION
from meting.evidence.validate import EvidenceError, as_json, checked, loaded

__all__ = ["EVIDENCE_VERSION", "EvidenceError", "as_json", "checked", "loaded"]
