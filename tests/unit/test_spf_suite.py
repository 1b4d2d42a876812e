"""meting's SPF evaluation against the RFC 7208 test suite of the SPF project, an oracle
meting did not write. Each case is compared where meting's verdict says the same thing
as the suite's result:

- permerror (only): meting finds the policy in error (spf_policy failed);
- none: meting finds no SPF record (spf failed) and no error;
- temperror: a TXT lookup meting needs got no answer (the column is error, not judged);
- pass/fail/softfail/neutral: meting finds exactly one valid record without errors;
- a result list with permerror and fail: either (the suite allows both).

The cases where no such comparison is possible are listed, with why, in
tests/unit/data/spf/incomparable.yaml.
"""

from __future__ import annotations

import pytest

from meting.records.spf import SpfPolicyResult, evaluate_policy
from tests.unit.spf_suite import Case, incomparable, load_cases

CASES = load_cases()
INCOMPARABLE = incomparable()


def agrees(case: Case, found: SpfPolicyResult) -> bool:
    results = set(case.results)
    if results == {"permerror"}:
        return found.permerror
    if results == {"none"}:
        return found.record_count == 0 and not found.permerror
    if results == {"temperror"}:
        return bool(found.unanswered) or case.domain in case.no_answer
    if "permerror" in results:  # the suite allows permerror or a result
        return found.permerror or found.valid
    return found.valid


def test_the_whole_suite_is_read() -> None:
    assert len(CASES) == 203
    assert len({c.name for c in CASES}) == len(CASES)
    assert set(INCOMPARABLE) <= {c.name for c in CASES}


@pytest.mark.parametrize("case", [c for c in CASES if c.name not in INCOMPARABLE],
                         ids=lambda c: c.name)
def test_meting_agrees_with_the_rfc7208_suite(case: Case) -> None:
    found = evaluate_policy(case.domain, case.records, case.no_answer)
    assert agrees(case, found), (case.section, case.description, case.results, found)


@pytest.mark.parametrize("name", sorted(INCOMPARABLE))
def test_an_incomparable_case_still_differs(name: str) -> None:
    """A listed case that meting comes to agree with belongs in the comparison."""
    case = next(c for c in CASES if c.name == name)
    assert not agrees(case, evaluate_policy(case.domain, case.records, case.no_answer))
