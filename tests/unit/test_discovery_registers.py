"""Register imports: the shipped sample files load, --dry-run shows the changes without
keeping them, bad files import nothing with line-numbered problems, and a coordinator's
values are never overwritten without saying so."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from meting.registry.lists import read_list
from tests.unit.cli_support import meting, store_env

SAMPLES = Path(str(resources.files("meting.discovery").joinpath("data/samples")))
LIST = """organisation,category,domain,web_host,mail,umbrella,sets,parent
Gemeente Ontdekstad,gemeente,ontdek-nsec.nl,,yes,,kern,
Waterschap Ontdekwater,overig,ontdek-nsec3.nl,,yes,,kern,
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return store_env(tmp_path)


def registry(tmp_path: Path, env: dict[str, str]) -> dict[str, tuple[str, ...]]:
    out = tmp_path / "export.csv"
    assert meting("export", str(out), env=env).exit_code == 0
    return {e.domain: (e.organisation, e.category, e.web_host or "", str(e.mail),
                       e.parent or "") for e in read_list(out).entries}


def test_roo_sample_dry_run_then_import(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "list.csv").write_text(LIST)
    assert meting("import", str(tmp_path / "list.csv"), env=env).exit_code == 0
    before = registry(tmp_path, env)
    dry = meting("register", "import", "roo", str(SAMPLES / "roo-export.xml"), "--dry-run",
                 env=env)
    assert dry.exit_code == 0, dry.stderr
    assert "added: organisation Dienst Ontdekte Hosts (uitvoering, under Ministerie van " \
        "Ontdekkingen)" in dry.stdout
    assert "kept: organisation Waterschap Ontdekwater: category stays 'overig' (set by a " \
        "coordinator; the register says 'waterschap')" in dry.stdout
    assert "'Gemeente Opgeheven' ended on 2023-01-01; left out" in dry.stderr
    assert "dry run, nothing kept" in dry.stdout
    assert registry(tmp_path, env) == before

    done = meting("register", "import", "roo", str(SAMPLES / "roo-export.xml"), env=env)
    assert done.exit_code == 0, done.stderr
    assert "4 added, 0 changed, 1 coordinator's value(s) kept, 3 left alone" in done.stdout
    after = registry(tmp_path, env)
    assert after["ontdek-dienst.nl"] == ("Dienst Ontdekte Hosts", "uitvoering",
                                         "portaal.ontdek-dienst.nl", "True",
                                         "Ministerie van Ontdekkingen")
    assert after["ontdek-nsec3.nl"][1] == "overig"  # the coordinator's category stays
    again = meting("register", "import", "roo", str(SAMPLES / "roo-export.xml"), env=env)
    assert "0 added, 0 changed, 1 coordinator's value(s) kept" in again.stdout


def test_a_register_changes_what_it_set_itself(tmp_path: Path, env: dict[str, str]) -> None:
    first = tmp_path / "rio.csv"
    first.write_text("domeinnaam,organisatie,organisatietype,doel\n"
                     "ontdek-post.nl,Provincie Ontdekland,Provincie,e-mail\n")
    assert meting("register", "import", "rio", str(first), env=env).exit_code == 0
    first.write_text("domeinnaam,organisatie,organisatietype,doel\n"
                     "ontdek-post.nl,Provincie Ontdekland,Provincie,\"website;e-mail\"\n")
    second = meting("register", "import", "rio", str(first), env=env)
    assert "changed: domain ontdek-post.nl: web False → True" in second.stdout
    assert registry(tmp_path, env)["ontdek-post.nl"][3] == "True"


def test_every_sample_loads(tmp_path: Path, env: dict[str, str]) -> None:
    for register, name in (("roo", "roo-export.xml"), ("websiteregister", "websiteregister.csv"),
                           ("rio", "rio.csv")):
        result = meting("register", "import", register, str(SAMPLES / name), env=env)
        assert result.exit_code == 0, result.stderr
    domains = registry(tmp_path, env)
    assert {"ontdek-campagne.nl", "ontdek-afval.nl", "ontdek-post.nl"} <= set(domains)
    assert domains["ontdek-afval.nl"][3] == "False"  # a parking page: web only
    # the Websiteregister names another web host than the ROO did: the first stays
    assert domains["ontdek-dienst.nl"][2] == "portaal.ontdek-dienst.nl"


@pytest.mark.parametrize(("register", "content", "message"), [
    ("roo", "<a><b></a>", "file: line 1: not valid XML"),
    ("roo", "<root/>", "no organisation in the file"),
    ("rio", "domein,organisatie\nx.nl,Y\n", "line 1: the header names no column for purpose"),
    ("rio", "domein,organisatie,doel\nx.nl,Y,website\nhttp://,Z,website\nz.nl,Z,fax\n",
     "line 4, column purpose: purpose fax is not one of"),
    ("websiteregister", "url,organisatie\nhttps://a.nl,\n", "line 2: no organisation"),
])
def test_a_bad_file_imports_nothing(tmp_path: Path, env: dict[str, str], register: str,
                                    content: str, message: str) -> None:
    path = tmp_path / ("file.xml" if register == "roo" else "file.csv")
    path.write_text(content)
    result = meting("register", "import", register, str(path), env=env)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "nothing imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert meting("export", str(tmp_path / "e.csv"), env=env).exit_code != 0 or \
        registry(tmp_path, env) == {}
