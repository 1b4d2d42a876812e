"""Editing the registry: deleting a domain (after a confirmation; refused when a round measured
it) and the domain-set editor, through the dashboard's routes on a real store, and the
service behind them (also used by `meting domain` / `meting set`) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from meting.registry.entry import ListEntry
from meting.store import Store
from meting.store.registry_edit import RegistryEditError, RegistryEditor
from meting.web.kept import Figures
from meting.web.security import LANG_COOKIE
from tests import services
from tests.web.conftest import csrf_of, signed_in
from tests.web.dashboard_data import Dashboard, entries, evidence, judged

XSS = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def unmeasured(name: str, organisation: str = "Gemeente Nieuw") -> ListEntry:
    return ListEntry(line=2, organisation=organisation, category="gemeente", domain=name,
                     web=True, web_host=None, mail=True, umbrella="VNG", provider=None,
                     sets=("kern",))


@pytest.fixture(scope="module")
def coordinator(app: FastAPI, dashboard: Dashboard) -> TestClient:
    return signed_in(app, dashboard, "coordinator")


def post(c: TestClient, path: str, form_page: str, data: dict[str, object]) -> object:
    return c.post(path, data={**data, "csrf": csrf_of(c.get(form_page).text)})


def names(store: Store) -> set[str]:
    return {e.domain for e in store.export_entries()}


def test_a_domain_no_round_measured_is_deleted_after_its_confirmation(
        app: FastAPI, coordinator: TestClient) -> None:
    store: Store = app.state.store
    store.import_entries([unmeasured("nieuw.nl")])
    registry = coordinator.get("/registry?q=nieuw").text
    assert '/registry/domains/nieuw.nl/delete"' in registry
    confirm = coordinator.get("/registry/domains/nieuw.nl/delete")
    assert confirm.status_code == 200
    assert 'id="delete-domain-form"' in confirm.text and "Gemeente Nieuw" in confirm.text
    assert "nieuw.nl" in names(store), "showing the confirmation deletes nothing"
    refused = coordinator.post("/registry/domains/nieuw.nl/delete")  # no CSRF token
    assert refused.status_code == 403 and "nieuw.nl" in names(store)
    answer = post(coordinator, "/registry/domains/nieuw.nl/delete",
                  "/registry/domains/nieuw.nl/delete", {})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert "nieuw.nl" not in names(store)
    shown = coordinator.get(answer.headers["location"])  # type: ignore[attr-defined]
    assert "Domein nieuw.nl is verwijderd." in shown.text
    assert coordinator.get("/registry/domains/nieuw.nl/delete").status_code == 404


def test_a_measured_domain_is_not_deleted_and_the_page_says_why(
        app: FastAPI, coordinator: TestClient, dashboard: Dashboard) -> None:
    store: Store = app.state.store
    before = len(list(store.results(dashboard.rounds[1])))
    confirm = coordinator.get("/registry/domains/aa.nl/delete")
    assert confirm.status_code == 200
    assert 'id="not-deletable"' in confirm.text and 'id="delete-domain-form"' not in confirm.text
    assert "2025-03, 2025-09" in confirm.text
    answer = post(coordinator, "/registry/domains/aa.nl/delete", "/registry", {})
    assert answer.status_code == 409  # type: ignore[attr-defined]
    assert "aa.nl is niet verwijderd: het is gemeten in 2025-03, 2025-09." in \
        answer.text  # type: ignore[attr-defined]
    assert "aa.nl" in names(store) and len(list(store.results(dashboard.rounds[1]))) == before
    coordinator.cookies.set(LANG_COOKIE, "en")
    try:
        english = post(coordinator, "/registry/domains/aa.nl/delete", "/registry", {})
        assert "aa.nl was not deleted: it was measured in 2025-03, 2025-09." in \
            english.text  # type: ignore[attr-defined]
    finally:
        coordinator.cookies.set(LANG_COOKIE, "nl")


def test_the_set_editor_creates_fills_empties_renames_and_deletes_a_set(
        app: FastAPI, coordinator: TestClient) -> None:
    editor = RegistryEditor(app.state.store)
    made = post(coordinator, "/registry/sets", "/registry/sets", {"name": "  Proef  Set "})
    assert made.status_code == 303  # type: ignore[attr-defined]
    page = made.headers["location"]  # type: ignore[attr-defined]
    set_id = editor.set_id("proef set")
    assert page.startswith(f"/registry/sets/{set_id}?")
    assert "De set is aangemaakt." in coordinator.get(page).text

    added = post(coordinator, f"/registry/sets/{set_id}/domains", page,
                 {"domains": "aa.nl,\nBEE.nl  aa.nl"})
    assert coordinator.get(added.headers["location"]).text.count(  # type: ignore[attr-defined]
        "2 domein(en) toegevoegd.") == 1
    assert [d for d, _ in editor.members(set_id)] == ["aa.nl", "bee.nl"]

    unknown = post(coordinator, f"/registry/sets/{set_id}/domains", page,
                   {"domains": "cee.nl onbekend.nl"})
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    assert "Niet in het register: onbekend.nl" in unknown.text  # type: ignore[attr-defined]
    assert [d for d, _ in editor.members(set_id)] == ["aa.nl", "bee.nl"], "all or nothing"

    removed = post(coordinator, f"/registry/sets/{set_id}/remove", page, {"domain": ["aa.nl"]})
    assert "1 domein(en) uit de set gehaald." in coordinator.get(
        removed.headers["location"]).text  # type: ignore[attr-defined]
    assert [d for d, _ in editor.members(set_id)] == ["bee.nl"]
    assert "aa.nl" in names(app.state.store), "out of the set, still in the registry"

    renamed = post(coordinator, f"/registry/sets/{set_id}/rename", page, {"name": "Tweede"})
    assert renamed.status_code == 303  # type: ignore[attr-defined]
    assert editor.set_info(set_id).name == "tweede"

    taken = post(coordinator, f"/registry/sets/{set_id}/rename", page, {"name": "kern"})
    assert taken.status_code == 422  # type: ignore[attr-defined]
    assert "Er is al een set kern." in taken.text  # type: ignore[attr-defined]

    unconfirmed = post(coordinator, f"/registry/sets/{set_id}/delete", page, {})
    assert unconfirmed.status_code == 422  # type: ignore[attr-defined]
    assert editor.set_info(set_id).name == "tweede"
    deleted = post(coordinator, f"/registry/sets/{set_id}/delete", page, {"confirm": "yes"})
    assert deleted.status_code == 303  # type: ignore[attr-defined]
    assert "tweede" not in app.state.store.domain_sets()
    assert "bee.nl" in names(app.state.store)
    assert coordinator.get(page).status_code == 404


def test_set_names_are_checked_and_escaped(app: FastAPI, coordinator: TestClient) -> None:
    separated = post(coordinator, "/registry/sets", "/registry/sets", {"name": "a;b"})
    assert separated.status_code == 422  # type: ignore[attr-defined]
    assert "Een setnaam mag geen ; bevatten" in separated.text  # type: ignore[attr-defined]
    empty = post(coordinator, "/registry/sets", "/registry/sets", {"name": "   "})
    assert "Geef de set een naam." in empty.text  # type: ignore[attr-defined]
    hostile = XSS.replace(";", "").replace(",", "")
    made = post(coordinator, "/registry/sets", "/registry/sets", {"name": hostile})
    assert made.status_code == 303  # type: ignore[attr-defined]
    for path in ("/registry/sets", made.headers["location"]):  # type: ignore[attr-defined]
        html = coordinator.get(path).text
        assert "<script>alert(2)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(2)" in html


def test_others_cannot_edit_even_with_their_own_token(app: FastAPI,
                                                      dashboard: Dashboard) -> None:
    for who in ("umbrella", "organisation"):
        c = signed_in(app, dashboard, who)
        token = csrf_of(c.get("/password").text)
        assert c.post("/registry/sets", data={"name": "x", "csrf": token}).status_code == 403
        assert c.post("/registry/domains/aa.nl/delete",
                      data={"csrf": token}).status_code == 403
    assert "x" not in app.state.store.domain_sets()


# the service, on both databases


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meting.db'}"
    else:
        socket_dir: Path = request.getfixturevalue("postgres")
        url = services.postgres_database(socket_dir, f"edit_{secrets.token_hex(4)}")
    with Store.open(url) as opened:
        opened.import_entries(entries())
        yield opened


def run_through(store: Store, round_id: int) -> None:
    store.plan_round(round_id)
    store.set_round_state(round_id, "running")
    for test in store.pending_tests(round_id):
        store.save_result(test.test_id, evidence(test.kind), judged(test.kind, True))
    store.set_round_state(round_id, "finished")


def test_renaming_a_set_renames_it_in_its_rounds_and_forgets_their_kept_figures(
        store: Store) -> None:
    editor = RegistryEditor(store)
    round_id = store.create_round("kern", "current", "2025-03", date=dt.date(2025, 3, 1))
    run_through(store, round_id)
    figures = Figures(store)
    kept = figures.of(store.round(round_id))
    assert kept["figures"]["set"] == "kern"
    editor.rename_set(editor.set_id("kern"), "Kernset")
    assert store.round(round_id).set_name == "kernset"
    assert Figures(store).of(store.round(round_id))["figures"]["set"] == "kernset"
    with pytest.raises(RegistryEditError) as refused:
        editor.delete_domain("aa.nl")
    assert refused.value.reason == "domain_measured" and "2025-03" in str(refused.value)
    assert "aa.nl" in names(store)


def test_a_set_with_an_unfinished_round_is_not_deleted(store: Store) -> None:
    editor = RegistryEditor(store)
    round_id = store.create_round("kern", "current", "open")
    with pytest.raises(RegistryEditError) as refused:
        editor.delete_set(editor.set_id("kern"))
    assert refused.value.reason == "set_in_use" and "open" in str(refused.value)
    run_through(store, round_id)
    assert editor.delete_set(editor.set_id("kern")) == "kern"
    assert store.domain_sets() == {} and len(names(store)) == 3


def test_adding_unknown_or_malformed_names_changes_nothing(store: Store) -> None:
    editor = RegistryEditor(store)
    made = editor.create_set("leeg")
    for wrong, reason in ((["aa.nl", "zz.nl"], "unknown_domains"),
                          (["aa.nl", "geen-punt"], "bad_domain")):
        with pytest.raises(RegistryEditError) as refused:
            editor.add_domains(made.id, wrong)
        assert refused.value.reason == reason
        assert editor.members(made.id) == []
    assert editor.add_domains(made.id, ["AA.NL", "aa.nl."]) == 1
    assert editor.remove_domains(made.id, ["aa.nl", "bee.nl"]) == 1


def test_the_commands_edit_as_the_pages_do(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from meting.cli import app as cli

    url = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("METING_DATABASE", url)
    with Store.open(url) as opened:
        opened.import_entries(entries())
        run_through(opened, opened.create_round(None, "current", "2025-03"))
        opened.import_entries([unmeasured("nieuw.nl")])  # after the round
    runner = CliRunner()

    def run(*argv: str) -> tuple[int, str]:
        done = runner.invoke(cli, list(argv))
        assert "Traceback" not in done.output
        return done.exit_code, " ".join(done.output.split())

    assert run("set", "add", "Proef") == (0, "set proef created")
    assert run("set", "include", "proef", "aa.nl", "bee.nl") == (
        0, "2 domain(s) added to set proef")
    code, said = run("set", "include", "proef", "zz.nl")
    assert code == 2 and "not in the registry: zz.nl; nothing was changed" in said
    assert run("set", "exclude", "proef", "aa.nl") == (0, "1 domain(s) taken out of set proef")
    assert run("set", "rename", "proef", "tweede") == (0, "set proef is now tweede")
    assert "tweede" in run("set", "list")[1]
    code, said = run("domain", "remove", "aa.nl", "--yes")
    assert code == 2 and "aa.nl is not deleted: 1 round(s) measured it (2025-03)" in said
    assert run("domain", "remove", "nieuw.nl", "--yes") == (
        0, "domain nieuw.nl of Gemeente Nieuw deleted")
    assert run("set", "delete", "tweede") == (0, "set tweede deleted")
    code, said = run("set", "delete", "tweede")
    assert code == 2 and "no domain set 'tweede'" in said
    with Store.open(url) as opened:
        assert names(opened) == {"aa.nl", "bee.nl", "cee.nl"}
        assert opened.domain_sets() == {"kern": 3}
