"""The generated population follows the published mix, deterministically, and changes
between rounds as the file says; a mix that cannot be drawn is refused in one line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from meting.lab import population
from meting.lab.netns import LabError
from meting.lab.plan import build_plan, load_catalogue

COMPLIANT = {"passed", "info", "warning"}
Z = 4.0  # tolerance in standard deviations of the binomial spread of the draws


def columns() -> dict[str, set[str]]:
    return {k: set(v) for k, v in load_catalogue()["defaults"]["expected"].items()}


@pytest.fixture(scope="module")
def people() -> population.Population:
    return population.load(columns=columns())


def within_spread(people: population.Population, drawn: list[population.GeneratedDomain],
                  ) -> list[str]:
    """Every column of the mix: the share of compliant domains against the layers' rates,
    within Z standard deviations of the sum of independent draws (Poisson binomial)."""
    defaults = load_catalogue()["defaults"]["expected"]
    statuses = [population.expected(people, d, defaults) for d in drawn]
    off = []
    for (kind, column), rates in people.adoption.items():
        p = [rates[d.category] for d in drawn]
        mean = sum(p)
        sd = math.sqrt(sum(x * (1 - x) for x in p))
        got = sum(s[kind][column] in COMPLIANT for s in statuses)
        if abs(got - mean) > Z * sd:
            off.append(f"{kind}.{column}: {got} compliant, expected {mean:.0f} ± {Z * sd:.0f}")
    return off


def test_generated_domains_follow_the_mix_per_column(people: population.Population) -> None:
    drawn = population.draw(people, 4000)
    assert within_spread(people, drawn) == []
    layers = {d.category for d in drawn}
    assert layers == set(people.categories)


def test_each_layer_follows_its_own_rates(people: population.Population) -> None:
    drawn = population.draw(people, 4000)
    for layer in people.categories:
        assert within_spread(people, [d for d in drawn if d.category == layer]) == [], layer


def test_the_draw_is_the_same_every_time(people: population.Population) -> None:
    first, again = population.draw(people, 300, changes=1), population.draw(people, 300, 1)
    assert [(d.category, d.right) for d in first] == [(d.category, d.right) for d in again]
    one = build_plan("t-", 60)
    two = build_plan("t-", 60)
    assert [(d.domain, d.expected_web, d.expected_mail) for d in one.domains] == \
        [(d.domain, d.expected_web, d.expected_mail) for d in two.domains]
    assert sorted(one.web_servers) == sorted(two.web_servers)


def test_owners_fix_and_break_at_the_files_chances(people: population.Population) -> None:
    before, after = population.draw(people, 3000), population.draw(people, 3000, changes=1)
    assert [d.category for d in before] == [d.category for d in after]
    pairs = [(b.right[f], a.right[f]) for b, a in zip(before, after, strict=True)
             for f in b.right]
    wrong = sum(not b for b, _ in pairs)
    right = len(pairs) - wrong
    fixed = sum(not b and a for b, a in pairs)
    broken = sum(b and not a for b, a in pairs)
    for count, n, p in ((fixed, wrong, people.fix), (broken, right, people.regress)):
        assert abs(count - n * p) <= Z * math.sqrt(n * p * (1 - p)), (count, n, p)
    assert fixed > 0 and broken > 0


def test_the_plan_builds_what_each_generated_domain_is_expected_to_get() -> None:
    plan = build_plan("t-", 150)
    generated = [d for d in plan.domains if d.generated]
    assert len(generated) == 150
    for d in generated:
        zone = plan.zones[d.domain]
        a = next(r.rdata for r in zone.records if r.owner == d.web_host and r.rtype == "A")
        web = next(w for w in plan.web_servers.values() if a in w.ipv4)
        mx = next(r.rdata for r in zone.records if r.rtype == "MX").split()[1].rstrip(".")
        mail = next(m for m in plan.mail_servers.values() if mx in m.names)
        txt = " ".join(r.rdata for r in zone.records if r.rtype == "TXT")
        ew, em = d.expected_web, d.expected_mail
        assert (zone.dnssec == "unsigned") == (ew["dnssec"] == "failed"), d.domain
        assert (web.tls is None) == (ew["tls_available"] == "failed"), d.domain
        assert (web.hsts_max_age is None) == (ew["hsts"] == "failed" and web.tls is not None)
        assert (not web.ipv6) == (ew["ipv6_webserver"] == "failed"), d.domain
        assert (zone.nameservers != plan.zones["labdns.nl"].nameservers) == \
            (ew["ipv6_nameserver"] == "failed" == em["ipv6_nameserver"]), d.domain
        assert ("v=spf1" not in txt) == (em["spf"] == "failed"), d.domain
        assert ("p=none" in txt or "v=DMARC1" not in txt) == (em["dmarc_policy"] == "failed")
        assert (not mail.starttls) == (em["starttls"] == "failed"), d.domain
        assert mail.hostname.endswith(".mailhost-unsigned.nl") == (em["dnssec_mx"] == "failed")
        assert (mail.tlsa == "none" or not mail.starttls
                or mail.hostname.endswith(".mailhost-unsigned.nl")) == (em["dane"] == "failed")
    shared = {w.name for w in plan.web_servers.values() if w.name.startswith("gen-web-")}
    assert 1 < len(shared) < len(generated)  # shared hosting: few servers, many domains


def write_mix(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load(
        (Path(population.__file__).parent / "data" / "population.yaml").read_text())
    for dotted, value in change.items():
        *path, last = dotted.split("/")
        node = data
        for key in path:
            node = node[key]
        node[last] = value
    out = tmp_path / "population.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


@pytest.mark.parametrize(("change", "message"), [
    ({"adoption/mail/dane/rijk": 80},
     "adoption mail.dane in rijk (80%) is above what dnssec_mx × starttls allow"),
    ({"adoption/web/nonsense": {"rijk": 1}}, "adoption: web has no column 'nonsense'"),
    ({"adoption/web/hsts": {"rijk": 90}}, "adoption web.hsts must give exactly the layers"),
    ({"adoption/web/hsts/rijk": 120}, "adoption web.hsts: percentages from 0 to 100"),
    ({"features/dane/requires": ["ipv6_mailserver"]},
     "feature dane: depends on ['ipv6_mailserver'], which must be features listed before"),
    ({"features/dkim/wrong": {"domain": {"colour": "red"}}},
     "feature dkim: ['colour'] cannot be set on a domain; only"),
    ({"features/hsts/wrong": {"web": {"hsts": 0}}},
     "feature hsts: ['hsts'] cannot be set on a web server; only"),
    ({"seed": None, "categories": None}, "population.yaml: "),
    ({"changes/fix": 2}, "changes: fix must be a chance between 0 and 1"),
])
def test_a_mix_that_cannot_be_drawn_is_refused_in_one_line(
        tmp_path: Path, change: dict[str, object], message: str) -> None:
    with pytest.raises(LabError) as caught:
        population.load(write_mix(tmp_path, change), columns())
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
