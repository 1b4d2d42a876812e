"""The JSON Schema of the evidence, generated from the models (published in docs/)."""

from __future__ import annotations

import json
from typing import Any

from meting.evidence.models import EVIDENCE_VERSION
from meting.evidence.validate import ADAPTER

SCHEMA_ID = "https://meting.invalid/schema/evidence"


def json_schema() -> dict[str, Any]:
    schema: dict[str, Any] = ADAPTER.json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{SCHEMA_ID}/{EVIDENCE_VERSION}",
            "title": f"meting evidence, version {EVIDENCE_VERSION}",
            "description": "The evidence of one web or mail test, as stored with its "
                           "round (see docs/evidence.md).", **schema}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
