"""Scenarios of one's own: a user's catalogue file added to the shipped one.

The file has the shipped catalogue's format (src/meting/lab/data/scenarios.yaml) and
may hold the sections ``tls_profiles``, ``web_servers``, ``mail_servers`` and
``scenarios``; what it defines is added to what the lab ships, never replaces it. Every
problem is reported with the file's line number, all of them at once, before anything is
built (docs/lab-scenarios.md says how to write one).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, get_args

import yaml

from meting.checks.verdict import Status
from meting.lab.model import DnssecMode
from meting.lab.netns import LabError
from meting.lab.plan import MAIL_HOST_OF, NO_WEB_SERVER, WEB_HOST_OF, load_catalogue
from meting.registry.names import BadDomainName, normalise

SECTIONS = ("version", "tls_profiles", "web_servers", "mail_servers", "scenarios")
SCENARIO_KEYS = frozenset({"name", "domain", "category", "organisation", "web", "web_host",
                           "mx", "dnssec", "nameservers", "spf", "dmarc", "dkim", "caa",
                           "records", "expected", "hosts", "registered"})
TLS_KEYS = frozenset({"protocols", "ciphers", "ciphersuites", "groups",
                      "prefer_server_ciphers", "dhparam_bits", "client_renegotiation"})
TLS_REQUIRED = ("protocols", "ciphers", "ciphersuites", "groups")
WEB_KEYS = frozenset({"software", "network", "ipv6", "tls", "cert", "hsts_max_age", "http",
                      "huge_body", "ipv6_same_site", "ocsp_stapling", "security_headers",
                      "security_txt"})
MAIL_KEYS = frozenset({"software", "network", "ipv6", "hostname", "names", "starttls", "tls",
                       "cert", "tlsa"})
STATUSES = frozenset(s.value for s in Status)


class CatalogueError(LabError):
    """A user catalogue that cannot be added; one line per problem, with line numbers."""


class LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping and of every key in it."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[int, int] = {}
        self.key_lines: dict[tuple[int, str], int] = {}

    def construct_mapping(self, node: yaml.MappingNode,
                          deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=True)
        self.lines[id(mapping)] = node.start_mark.line + 1
        for key_node, _ in node.value:
            self.key_lines[(id(mapping), str(key_node.value))] = key_node.start_mark.line + 1
        return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                           LineLoader.construct_mapping)


class Checker:
    def __init__(self, path: Path, loader: LineLoader, shipped: dict[str, Any]) -> None:
        self.path = path
        self.loader = loader
        self.shipped = shipped
        self.problems: list[str] = []

    def line(self, mapping: Any, key: str | None = None) -> int:
        if key is not None and (id(mapping), key) in self.loader.key_lines:
            return self.loader.key_lines[(id(mapping), key)]
        return self.loader.lines.get(id(mapping), 1)

    def problem(self, mapping: Any, key: str | None, text: str) -> None:
        self.problems.append(f"{self.path}:{self.line(mapping, key)}: {text}")

    def keys(self, mapping: dict[str, Any], allowed: frozenset[str], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(mapping, str(key), f"{what}: unknown key {key!r} (known: "
                             f"{', '.join(sorted(allowed))})")

    def section(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        found = data.get(name) or {}
        if not isinstance(found, dict):
            self.problem(data, name, f"{name} must be a mapping of names to settings")
            return {}
        for key, value in found.items():
            if key in self.shipped[name]:
                self.problem(found, str(key), f"{name}: {key!r} is already in the lab's own "
                             "catalogue; choose another name")
            if not isinstance(value, dict):
                self.problem(found, str(key), f"{name}: {key!r} must be a mapping")
        return {k: v for k, v in found.items() if isinstance(v, dict)}

    def one_of(self, mapping: dict[str, Any], key: str, known: Any, what: str) -> None:
        value = mapping.get(key)
        if value is not None and value not in known:
            self.problem(mapping, key, f"{what}: {key} {value!r} is not one of "
                         f"{', '.join(sorted(str(k) for k in known))}")


def check_servers(c: Checker, data: dict[str, Any]) -> dict[str, set[str]]:
    profiles = c.section(data, "tls_profiles")
    for name, spec in profiles.items():
        c.keys(spec, TLS_KEYS, f"tls profile {name}")
        for key in TLS_REQUIRED:
            if key not in spec:
                c.problem(spec, None, f"tls profile {name}: {key} is missing")
    known_tls = set(c.shipped["tls_profiles"]) | set(profiles)
    networks = set(c.shipped["networks"])
    webs = c.section(data, "web_servers")
    for name, spec in webs.items():
        what = f"web server {name}"
        c.keys(spec, WEB_KEYS, what)
        c.one_of(spec, "software", WEB_HOST_OF, what)
        c.one_of(spec, "tls", known_tls, what)
        c.one_of(spec, "network", networks, what)
        if "network" not in spec:
            c.problem(spec, None, f"{what}: network is missing ({', '.join(sorted(networks))})")
    mails = c.section(data, "mail_servers")
    for name, spec in mails.items():
        what = f"mail server {name}"
        c.keys(spec, MAIL_KEYS, what)
        c.one_of(spec, "software", MAIL_HOST_OF, what)
        c.one_of(spec, "tls", known_tls, what)
        c.one_of(spec, "network", networks, what)
        for key in ("network", "hostname"):
            if key not in spec:
                c.problem(spec, None, f"{what}: {key} is missing")
    return {"web": set(c.shipped["web_servers"]) | set(webs) | {NO_WEB_SERVER},
            "mail": set(c.shipped["mail_servers"]) | set(mails)}


def check_scenario(c: Checker, s: Any, servers: dict[str, set[str]],
                   seen: dict[str, set[str]]) -> None:
    if not isinstance(s, dict):
        c.problems.append(f"{c.path}: every scenario must be a mapping")
        return
    name = str(s.get("name") or "")
    what = f"scenario {name or '(without a name)'}"
    c.keys(s, SCENARIO_KEYS, what)
    for key in ("name", "domain"):
        if not s.get(key):
            c.problem(s, None, f"{what}: {key} is missing")
    if name in seen["names"]:
        c.problem(s, "name", f"{what}: the name is taken (in this file or the lab's)")
    seen["names"].add(name)
    check_domain(c, s, what, seen["domains"])
    c.one_of(s, "web", servers["web"], what)
    mx = s.get("mx")
    if mx is not None and mx != "null_mx":
        if not isinstance(mx, list):
            c.problem(s, "mx", f"{what}: mx must be a list of mail servers or null_mx")
        else:
            for server in mx:
                if server not in servers["mail"]:
                    c.problem(s, "mx", f"{what}: mail server {server!r} is not defined")
    c.one_of(s, "dnssec", set(get_args(DnssecMode)), what)
    c.one_of(s, "nameservers", c.shipped["nameserver_sets"], what)
    c.one_of(s, "category", c.shipped["umbrellas"], what)
    check_expected(c, s, what)


def check_domain(c: Checker, s: dict[str, Any], what: str, taken: set[str]) -> None:
    domain = s.get("domain")
    if not domain:
        return
    try:
        name = normalise(str(domain))
    except BadDomainName as exc:
        c.problem(s, "domain", f"{what}: {exc}")
        return
    if name.rsplit(".", 1)[-1] not in c.shipped["tlds"]:
        c.problem(s, "domain", f"{what}: {name} is not under one of the lab's top-level "
                  f"domains ({', '.join(c.shipped['tlds'])})")
    if name in taken:
        c.problem(s, "domain", f"{what}: the domain {name} is taken")
    taken.add(name)


def check_expected(c: Checker, s: dict[str, Any], what: str) -> None:
    expected = s.get("expected") or {}
    if not isinstance(expected, dict):
        c.problem(s, "expected", f"{what}: expected must map web and mail to columns")
        return
    columns = c.shipped["defaults"]["expected"]
    for kind, statuses in expected.items():
        if kind not in columns:
            c.problem(expected, str(kind), f"{what}: expected has web and mail, not {kind!r}")
            continue
        if not isinstance(statuses, dict):
            c.problem(expected, str(kind), f"{what}: expected {kind} must map columns to "
                      "statuses")
            continue
        for column, status in statuses.items():
            if column not in columns[kind]:
                c.problem(statuses, str(column), f"{what}: {column!r} is not a {kind} column")
            elif status not in STATUSES:
                c.problem(statuses, str(column), f"{what}: {status!r} is not a status "
                          f"({', '.join(sorted(STATUSES))})")


def read(path: Path) -> dict[str, Any]:
    """The user's catalogue, checked against the shipped one; CatalogueError if not valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot be read ({exc})") from None
    loader = LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise CatalogueError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") \
            from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: a catalogue is a mapping with a scenarios list")
    shipped = load_catalogue()
    c = Checker(path, loader, shipped)
    for key in data:
        if key not in SECTIONS:
            c.problem(data, str(key), f"section {key!r} cannot be added (these can: "
                      f"{', '.join(SECTIONS[1:])})")
    servers = check_servers(c, data)
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, list) or not scenarios:
        c.problem(data, "scenarios" if "scenarios" in data else None,
                  "scenarios must be a list of at least one scenario")
        scenarios = []
    seen = {"names": {s["name"] for s in shipped["scenarios"]},
            "domains": {s["domain"] for s in shipped["scenarios"]}}
    for scenario in scenarios:
        check_scenario(c, scenario, servers, seen)
    if c.problems:
        raise CatalogueError("\n".join(c.problems))
    return data


def merged(shipped: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """The shipped catalogue with the user's servers, profiles and scenarios added."""
    result = copy.deepcopy(shipped)
    for section in ("tls_profiles", "web_servers", "mail_servers"):
        result[section] = {**result[section], **(user.get(section) or {})}
    result["scenarios"] = [*result["scenarios"], *user["scenarios"]]
    return result
