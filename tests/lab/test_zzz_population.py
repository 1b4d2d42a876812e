"""A generated lab of a few hundred domains, judged by a real round in the lab, lands on
the published mix of population.yaml. Runs after test_zz_lifecycle (which takes the
session's small lab down): it builds its own lab of POPULATION domains."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from meting.analysis import round_figures_json
from meting.lab import lab as lab_module
from meting.lab import population
from meting.store import Store
from tests.lab.conftest import Lab
from tests.lab.test_run import finish, registry_db, start_run, statuses

pytestmark = pytest.mark.lab

POPULATION = 300  # at 120 a group of four domains was too small for the normal tolerance below
Z = 4.0  # tolerance in standard deviations of the binomial spread of the draws


@pytest.fixture(scope="module")
def big_lab() -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.fail("the lab needs root (network namespaces); lab tests run as root")
    info = lab_module.up(domains=POPULATION)
    plan = json.loads((Path(os.environ["METING_LAB_DIR"]) / "plan.json").read_text())
    yield Lab(info, plan)
    lab_module.down()


@pytest.fixture(scope="module")
def mix_round(big_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with a finished round ("mix") over the generated domains only."""
    db = registry_db(big_lab, tmp_path_factory.mktemp("population") / "population.db")
    code, output = finish(start_run(big_lab, db, "--set", "generated", "--label", "mix"),
                          timeout=1800)
    assert code == 0, output[-3000:]
    return db


def test_a_generated_lab_judged_by_a_real_round_lands_on_the_mix(
        big_lab: Lab, mix_round: Path) -> None:
    with Store.open(f"sqlite:///{mix_round}") as store:
        figures = round_figures_json(store, "mix")  # SPEC §8, as the report counts
    people = population.load()
    layers = [d["category"] for d in big_lab.plan["domains"] if d["generated"]]
    assert len(layers) == POPULATION
    off = []
    for (kind, column), rates in people.adoption.items():
        for group in ["all", *sorted(set(layers))]:
            p = [rates[layer] for layer in layers if group in ("all", layer)]
            tally = figures["adoption"][kind][group][column]
            assert (tally["counted"], tally["excluded"]) == (len(p), 0), (kind, column, group)
            mean, spread = sum(p), Z * math.sqrt(sum(x * (1 - x) for x in p))
            if abs(tally["compliant"] - mean) > spread:
                off.append(f"{kind}.{column} {group}: {tally['compliant']} of {len(p)}, "
                           f"expected {mean:.1f} ± {spread:.1f}")
    assert off == []


def test_every_generated_domain_gets_the_statuses_its_features_give(
        big_lab: Lab, mix_round: Path) -> None:
    """The mix is no coincidence: each domain is judged as its drawn features say."""
    found = statuses(mix_round, round_id_of(mix_round, "mix"))
    generated = [d for d in big_lab.plan["domains"] if d["generated"]]
    assert len(found) == 2 * len(generated)
    wrong = [(d["domain"], kind, column, found[(d["domain"], kind)][column], want)
             for d in generated for kind in ("web", "mail")
             for column, want in d[f"expected_{kind}"].items()
             if found[(d["domain"], kind)][column] != want]
    assert wrong == []


def round_id_of(db: Path, label: str) -> int:
    with Store.open(f"sqlite:///{db}") as store:
        return store.round_by_label(label).id
