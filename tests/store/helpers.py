"""Hand-built list entries and judged results for the store tests."""

from __future__ import annotations

from typing import Any

from meting.registry.lists import ListEntry


def entry(domain: str, organisation: str = "Gemeente Voorbeeld", *, category: str = "gemeente",
          web: bool = True, web_host: str | None = None, mail: bool = True,
          umbrella: str | None = "VNG", provider: str | None = None,
          sets: tuple[str, ...] = ("kerndomeinen",), line: int = 2) -> ListEntry:
    return ListEntry(line=line, organisation=organisation, category=category, domain=domain,
                     web=web, web_host=web_host, mail=mail, umbrella=umbrella,
                     provider=provider, sets=sets)


def judged(columns: dict[str, str], subtests: dict[str, str] | None = None) -> dict[str, Any]:
    """The shape meting.tester.judge produces, with a short explanation per status."""
    def explained(status: str) -> dict[str, Any]:
        return {"status": status, "explanation": {"nl": f"nl {status}", "en": f"en {status}"}}
    return {"columns": {name: explained(status) for name, status in columns.items()},
            "subtests": {name: explained(status) for name, status in (subtests or {}).items()}}


def evidence(kind: str = "web", target: str = "www.voorbeeld.nl",
             *attempts: str) -> dict[str, Any]:
    """The smallest evidence of the current schema: a test that could not be run."""
    from meting.run.retry import not_testable_evidence

    return not_testable_evidence(kind, target, list(attempts) or ["timeout"])


def web_evidence(hsts_max_age: int) -> dict[str, Any]:
    """Recorded lab evidence of a web host whose HTTPS answers carry this HSTS max-age."""
    from tests.unit.recorded import evidence as recorded

    found = recorded("perfect.web")
    for per_address in found["http"].values():
        headers = per_address["https"]["headers"]
        per_address["https"]["headers"] = [
            [k, f"max-age={hsts_max_age}" if k.lower() == "strict-transport-security" else v]
            for k, v in headers]
    return found


def hsts_max_age(evidence: dict[str, Any]) -> int:
    first = next(iter(evidence["http"].values()))["https"]["headers"]
    value = next(v for k, v in first if k.lower() == "strict-transport-security")
    return int(value.removeprefix("max-age="))
