"""The lab's generated domains: drawn to follow the adoption of a published round.

``data/population.yaml`` gives, per government layer, the share of domains that comply
with each column, and the *features* an owner sets up (DNSSEC on the zone, HTTPS on the
web server, a TLSA record at the MX, ...) with the setting when a feature is wrong and
the columns that setting fails. Every generated domain draws its layer, then each feature
with the chance that makes its column land on the layer's adoption; between rounds owners
fix and break features (``changes``). Everything is drawn from the file's seed, so the
same N and number of changes give the same lab.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from meting.lab.model import MailServer, WebServer
from meting.lab.netns import LabError

KINDS = ("web", "mail")
PARTS = ("domain", "web", "mail")
NOT_SETTINGS = {"name", "sites", "certs", "ipv4", "ipv6_dead", "aliases", "network"}
SETTINGS = {  # what a feature may set, per part (ipv6: yes | no | dead, as in the catalogue)
    "domain": {"dnssec", "nameservers", "dmarc", "dkim", "spf"},
    "web": {f.name for f in fields(WebServer)} - NOT_SETTINGS,
    "mail": ({f.name for f in fields(MailServer)} - NOT_SETTINGS - {"hostname"}) | {"zone"},
}


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # web | mail: the test whose column the feature targets
    column: str
    requires: tuple[str, ...]  # features without which this one's setting means nothing
    given: tuple[str, ...]  # features the column needs as well, drawn independently
    wrong: dict[str, dict[str, Any]]  # part -> settings when the feature is wrong
    fails: dict[str, tuple[str, ...]]  # kind -> columns that fail when wrong
    not_tested: dict[str, tuple[str, ...]]  # kind -> columns not tested when wrong

    @property
    def depends(self) -> tuple[str, ...]:
        return self.requires + self.given


@dataclass(frozen=True)
class Population:
    source: str
    seed: int
    categories: dict[str, float]  # layer -> weight
    adoption: dict[tuple[str, str], dict[str, float]]  # (kind, column) -> layer -> 0..1
    features: tuple[Feature, ...]
    servers: dict[str, Any]
    fix: float
    regress: float

    def rate(self, feature: Feature, category: str) -> float:
        return self.adoption[(feature.kind, feature.column)][category]

    def chance(self, feature: Feature, category: str) -> float:
        """The chance a feature is right, so that its column lands on the adoption."""
        by_name = {f.name: f for f in self.features}
        depends = math.prod(self.rate(by_name[d], category) for d in feature.depends)
        return self.rate(feature, category) / depends if depends else 1.0


@dataclass
class GeneratedDomain:
    """One generated domain: its number, layer and which features its owner has right."""

    number: int
    category: str
    right: dict[str, bool] = field(default_factory=dict)


def load(path: Path | None = None, columns: dict[str, set[str]] | None = None) -> Population:
    """The population file, validated; ``columns`` (kind -> names) checks column names."""
    if path is None:
        text = resources.files("meting.lab").joinpath("data/population.yaml").read_text()
        where = "population.yaml"
    else:
        text, where = path.read_text(), str(path)
    try:
        return parse(yaml.safe_load(text), columns)
    except KeyError as exc:
        raise LabError(f"{where}: missing {exc}") from exc
    except (TypeError, ValueError, AttributeError, yaml.YAMLError) as exc:
        raise LabError(f"{where}: {' '.join(str(exc).split())}") from exc


def parse(data: Any, columns: dict[str, set[str]] | None) -> Population:
    if not isinstance(data, dict):
        raise ValueError("not a mapping")
    categories = {str(k): float(v) for k, v in data["categories"].items()}
    if not categories or min(categories.values()) < 0 or sum(categories.values()) <= 0:
        raise ValueError("categories need weights >= 0 that add up to more than 0")
    adoption = parse_adoption(data["adoption"], categories, columns)
    features = tuple(parse_feature(n, s, columns) for n, s in data["features"].items())
    changes = data["changes"]
    population = Population(source=str(data["source"]), seed=int(data["seed"]),
                            categories=categories, adoption=adoption, features=features,
                            servers=dict(data["servers"]), fix=float(changes["fix"]),
                            regress=float(changes["regress"]))
    check_features(population)
    for name in ("fix", "regress"):
        if not 0 <= getattr(population, name) <= 1:
            raise ValueError(f"changes: {name} must be a chance between 0 and 1")
    return population


def parse_adoption(data: dict[str, Any], categories: dict[str, float],
                   columns: dict[str, set[str]] | None) -> dict[tuple[str, str],
                                                                  dict[str, float]]:
    adoption = {}
    for kind, per_column in data.items():
        for column, per_layer in per_column.items():
            check_column(kind, column, columns, "adoption")
            if set(per_layer) != set(categories):
                raise ValueError(f"adoption {kind}.{column} must give exactly the layers "
                                 f"{sorted(categories)}")
            rates = {str(k): float(v) / 100 for k, v in per_layer.items()}
            if not all(0 <= r <= 1 for r in rates.values()):
                raise ValueError(f"adoption {kind}.{column}: percentages from 0 to 100")
            adoption[(kind, column)] = rates
    return adoption


def check_column(kind: str, column: str, columns: dict[str, set[str]] | None,
                 where: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"{where}: test kind {kind!r} is not web or mail")
    if columns is not None and column not in columns[kind]:
        raise ValueError(f"{where}: {kind} has no column {column!r}")


def parse_feature(name: str, spec: dict[str, Any],
                  columns: dict[str, set[str]] | None) -> Feature:
    kind, _, column = str(spec["column"]).partition(".")
    check_column(kind, column, columns, f"feature {name}")
    wrong = {str(part): dict(settings) for part, settings in spec["wrong"].items()}
    if not wrong or set(wrong) - set(PARTS):
        raise ValueError(f"feature {name}: wrong settings of {', '.join(PARTS)}, "
                         f"not {sorted(set(wrong) - set(PARTS)) or 'nothing'}")
    for part, settings in wrong.items():
        unknown = set(settings) - SETTINGS[part]
        if unknown:
            where = part if part == "domain" else f"{part} server"
            raise ValueError(f"feature {name}: {sorted(unknown)} cannot be set on a {where}; "
                             f"only {sorted(SETTINGS[part])}")
    statuses = {}
    for key in ("fails", "not_tested"):
        statuses[key] = {str(k): tuple(v) for k, v in (spec.get(key) or {}).items()}
        for k, names in statuses[key].items():
            for c in names:
                check_column(k, c, columns, f"feature {name} {key}")
    return Feature(name=name, kind=kind, column=column,
                   requires=tuple(spec.get("requires") or ()),
                   given=tuple(spec.get("given") or ()), wrong=wrong,
                   fails=statuses["fails"], not_tested=statuses["not_tested"])


def check_features(population: Population) -> None:
    """Dependencies name earlier features; no column above what it depends on allows."""
    seen: set[str] = set()
    for f in population.features:
        if (f.kind, f.column) not in population.adoption:
            raise ValueError(f"feature {f.name}: no adoption for {f.kind}.{f.column}")
        unknown = [d for d in f.depends if d not in seen]
        if unknown:
            raise ValueError(f"feature {f.name}: depends on {unknown}, which must be "
                             "features listed before it")
        seen.add(f.name)
        for category in population.categories:
            if population.chance(f, category) > 1 + 1e-9:
                raise ValueError(
                    f"adoption {f.kind}.{f.column} in {category} "
                    f"({population.rate(f, category):.0%}) is above what "
                    f"{' × '.join(f.depends)} allow{'s' if len(f.depends) == 1 else ''}")


def draw(population: Population, n: int, changes: int = 0) -> list[GeneratedDomain]:
    """N generated domains, after ``changes`` rounds of owners' changes."""
    *_, last = history(population, n, max(changes, 0) + 1)
    return last


def history(population: Population, n: int, rounds: int) -> Iterator[list[GeneratedDomain]]:
    """N generated domains as they are in each of ``rounds`` successive rounds (the same
    objects, changed in place between rounds)."""
    rng = random.Random(population.seed)
    layers, weights = zip(*population.categories.items(), strict=True)
    chances = {(f.name, layer): population.chance(f, layer)
               for f in population.features for layer in layers}
    domains = []
    for number in range(1, n + 1):
        d = GeneratedDomain(number, rng.choices(layers, weights)[0])
        for f in population.features:
            d.right[f.name] = rng.random() < chances[(f.name, d.category)]
        domains.append(d)
    for step in range(rounds):
        if step:
            change(population, domains, step)
        yield domains


def change(population: Population, domains: list[GeneratedDomain], step: int) -> None:
    """One round of owners fixing what is wrong and breaking what is right."""
    rng = random.Random(f"{population.seed}-changes-{step}")
    for d in domains:
        for name, right in d.right.items():
            flip = rng.random() < (population.regress if right else population.fix)
            d.right[name] = right != flip


def applied(population: Population, domain: GeneratedDomain) -> list[Feature]:
    """The wrong features whose settings take effect (those they require are right)."""
    return [f for f in population.features if not domain.right[f.name]
            and all(domain.right[r] for r in f.requires)]


def settings(population: Population, domain: GeneratedDomain) -> dict[str, dict[str, Any]]:
    """Per part (domain, web, mail): the settings that differ from a right domain."""
    parts: dict[str, dict[str, Any]] = {part: {} for part in PARTS}
    for f in applied(population, domain):
        for part, values in f.wrong.items():
            parts[part].update(values)
    return parts


def expected(population: Population, domain: GeneratedDomain,
             defaults: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The status the domain must get in every column (from the catalogue's defaults)."""
    result = {kind: dict(defaults[kind]) for kind in KINDS}
    wrong = applied(population, domain)
    for f in wrong:
        for kind, names in f.fails.items():
            result[kind].update(dict.fromkeys(names, "failed"))
    for f in wrong:
        for kind, names in f.not_tested.items():
            result[kind].update(dict.fromkeys(names, "not_tested"))
    return result
