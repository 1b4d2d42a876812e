"""A user's scenario file: read and added to the lab's plan when valid; every problem
named with its line when not, before anything is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from meting.lab.plan import build_plan, load_catalogue
from meting.lab.user_catalogue import CatalogueError, read

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "own-scenarios.yaml"


def test_the_documented_example_adds_its_scenario_with_its_expected_statuses() -> None:
    added = read(EXAMPLE)
    plan = build_plan("mtu-", added=added)
    [own] = [d for d in plan.domains if d.scenario == "own-hsts-one-day"]
    assert (own.web_host, own.mail_domain, own.category) == (
        "www.hsts-een-dag.nl", "hsts-een-dag.nl", "gemeente")
    assert own.expected_web["hsts"] == "failed" and own.expected_web["dnssec"] == "passed"
    assert own.expected_mail["dmarc_policy"] == "failed"
    assert plan.web_servers["hsts-one-day"].hsts_max_age == 86400
    assert plan.mail_servers["own-mx-dane-ta"].tlsa == "ta"
    shipped = {s["name"] for s in load_catalogue()["scenarios"]}
    assert shipped < {d.scenario for d in plan.domains}  # added, nothing replaced


BAD = """\
web_servers:
  perfect: {network: govdc, tls: ncsc_good}
  mine: {network: nowhere, tls: no_such_profile, colour: blue}
scenarios:
  - name: perfect
    domain: perfect.nl
  - name: mine
    domain: mijn.example
    web: mine
    mx: [ghost]
    dnssec: maybe
    expected:
      web: {hsts: great, dane: passed}
      post: {}
    favourite: yes
"""


def test_every_problem_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(BAD)
    with pytest.raises(CatalogueError) as caught:
        read(path)
    lines = str(caught.value).splitlines()
    expected = [
        (2, "web_servers: 'perfect' is already in the lab's own catalogue"),
        (3, "web server mine: unknown key 'colour'"),
        (3, "web server mine: tls 'no_such_profile' is not one of"),
        (3, "web server mine: network 'nowhere' is not one of"),
        (5, "scenario perfect: the name is taken"),
        (6, "scenario perfect: the domain perfect.nl is taken"),
        (8, "scenario mine: mijn.example is not under one of the lab's top-level domains"),
        (10, "scenario mine: mail server 'ghost' is not defined"),
        (11, "scenario mine: dnssec 'maybe' is not one of"),
        (13, "scenario mine: 'great' is not a status"),
        (13, "scenario mine: 'dane' is not a web column"),
        (14, "scenario mine: expected has web and mail, not 'post'"),
        (15, "scenario mine: unknown key 'favourite'"),
    ]
    for line, text in expected:
        wanted = f"{path}:{line}: {text}"
        assert any(found.startswith(wanted) for found in lines), (wanted, lines)
    assert len(lines) == len(expected), lines


def test_a_yaml_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("scenarios:\n  - name: a\n    domain: [unclosed\n")
    with pytest.raises(CatalogueError, match=rf"^{path}:\d+: not valid YAML"):
        read(path)


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "a catalogue is a mapping"),
    ("networks: {}\nscenarios: [{name: x, domain: x.nl}]\n", "section 'networks' cannot"),
    ("scenarios: []\n", "scenarios must be a list of at least one scenario"),
])
def test_what_a_file_cannot_be(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text)
    with pytest.raises(CatalogueError, match=message):
        read(path)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot be read"):
        read(tmp_path / "absent.yaml")
