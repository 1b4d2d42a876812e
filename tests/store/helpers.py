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
