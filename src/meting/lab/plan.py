"""From the scenario catalogue to a resolved lab: addresses, zones, servers, domains."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from meting.lab import population
from meting.lab.model import (
    CertSpec,
    Host,
    LabPlan,
    MailServer,
    NameServer,
    Network,
    Record,
    ScenarioDomain,
    TlsProfile,
    WebServer,
    Zone,
)
from meting.lab.netns import LabError
from meting.lab.records import check_zone, scenario_records

HOSTS = ("scan", "res", "root", "tld", "auth", "web", "mail", "hostile", "mbox",
         "ctlog")
WEB_HOST_OF = {"nginx": "web", "openssl": "web", "silent": "hostile", "tls_garbage": "hostile"}
MAIL_HOST_OF = {"postfix": "mail", "slow_banner": "hostile"}
CA_ISSUER = "lab-ca.meting.test"
DKIM_SELECTOR = "selector1"
NO_WEB_SERVER = "none"  # `web: none`: the web host is in DNS only (a CNAME loop, no address)


def load_catalogue(path: Path | None = None) -> dict[str, Any]:
    if path is None:
        text = resources.files("meting.lab").joinpath("data/scenarios.yaml").read_text()
    else:
        text = path.read_text()
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise LabError("the scenario catalogue is not a mapping")
    return data


@dataclass
class Allocator:
    """Hands out addresses from each network in order."""

    networks: dict[str, Network]
    used: dict[tuple[str, int], int] = field(default_factory=dict)

    def take(self, network: str, family: int) -> str:
        net = self.networks[network]
        prefix = ipaddress.ip_network(net.ipv4_prefix if family == 4 else net.ipv6_prefix)
        n = self.used.get((network, family), 9) + 1
        self.used[(network, family)] = n
        return str(prefix.network_address + n)


def txt(value: str) -> str:
    """A TXT rdata, split in strings of at most 255 characters."""
    chunks = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + c.replace('"', '\\"') + '"' for c in chunks)


class Planner:
    def __init__(self, catalogue: dict[str, Any], prefix: str, dkim_public: bytes,
                 people: population.Population | None = None) -> None:
        self.cat = catalogue
        self.people = people
        self.plan = LabPlan(prefix=prefix, hosts={h: Host(h) for h in HOSTS}, networks={},
                            zones={}, nameservers={}, web_servers={}, mail_servers={},
                            domains=[], resolver="", resolver6="", scanner=[])
        for name, n in catalogue["networks"].items():
            self.plan.networks[name] = Network(name, n["ipv4"], n["ipv6"], n["asn"], n["roa"],
                                               n.get("roa_asn"))
        self.alloc = Allocator(self.plan.networks)
        self.dkim = "v=DKIM1; k=rsa; p=" + base64.b64encode(dkim_public).decode()
        self.profiles = {k: tls_profile(k, v) for k, v in catalogue["tls_profiles"].items()}

    def address(self, host: str, network: str, family: int) -> str:
        addr = self.alloc.take(network, family)
        self.plan.hosts[host].addresses.append(addr)
        return addr

    def build(self, generated: int, changes: int = 0) -> LabPlan:
        p = self.plan
        p.scanner = [self.address("scan", "infra", 4), self.address("scan", "infra", 6)]
        p.resolver = self.address("res", "infra", 4)
        p.resolver6 = self.address("res", "infra", 6)
        self.add_nameservers()
        self.add_infra_zones()
        self.add_web_servers()
        self.add_mail_servers()
        for s in self.cat["scenarios"]:
            self.add_domain(s, s["domain"], s.get("category"), generated=False)
        self.add_population(generated, changes)
        # last, so that no other server's address depends on it
        p.mailbox = [self.address("mbox", "infra", 4), self.address("mbox", "infra", 6)]
        self.add_ct_log()
        return p

    def add_ct_log(self) -> None:
        """The lab's CT log (lab/ct_log.py): its addresses and its name in a provider zone."""
        from meting.lab import ct_log

        p = self.plan
        p.ct_log = [self.address("ctlog", "infra", 4), self.address("ctlog", "infra", 6)]
        p.zones[ct_log.ZONE].records += [Record(ct_log.HOST, "A", p.ct_log[0]),
                                         Record(ct_log.HOST, "AAAA", p.ct_log[1])]

    def add_nameservers(self) -> None:
        for hostname, spec in self.cat["nameservers"].items():
            ns = NameServer(hostname, spec["network"])
            fill_addresses(self, ns, spec["host"], spec["network"], spec.get("ipv6", "yes"))
            self.plan.nameservers[hostname] = ns

    def ns_set(self, name: str) -> list[str]:
        return list(self.cat["nameserver_sets"][name])

    def add_infra_zones(self) -> None:
        z = self.plan.zones
        z[""] = Zone("", "root", "signed", self.ns_set("root"))
        for tld in self.cat["tlds"]:
            z[tld] = Zone(tld, "tld", "signed", self.ns_set("tld"))
        for name, spec in self.cat["provider_zones"].items():
            zone = Zone(name, "auth", spec.get("dnssec", "signed"), self.ns_set("labdns"))
            zone.records += [Record(o, t, str(d)) for o, t, d in spec.get("records", [])]
            if spec.get("caa"):
                zone.records.append(Record(name, "CAA", f'0 issue "{CA_ISSUER}"'))
            z[name] = zone

    def server_fields(self, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """Constructor fields of a web or mail server from its catalogue entry, and its IPv6."""
        fields = dict(spec)
        ipv6 = fields.pop("ipv6", "yes")
        tls = fields.pop("tls", None)
        fields["tls"] = self.profiles[tls] if tls else None
        fields["cert"] = CertSpec(**fields.pop("cert", {}))
        return fields, ipv6

    def add_web_servers(self) -> None:
        for name, spec in self.cat["web_servers"].items():
            fields, ipv6 = self.server_fields({"software": "nginx", **spec})
            ws = WebServer(name=name, **fields)
            fill_addresses(self, ws, WEB_HOST_OF[ws.software], ws.network, ipv6)
            self.plan.web_servers[name] = ws

    def add_mail_servers(self) -> None:
        for name, spec in self.cat["mail_servers"].items():
            fields, ipv6 = self.server_fields({"software": "postfix", **spec})
            count = fields.pop("names", None)
            ms = MailServer(name=name, **fields)
            if count is not None:
                ms.hostname, *ms.aliases = numbered_names(name, ms.hostname, count)
            fill_addresses(self, ms, MAIL_HOST_OF[ms.software], ms.network, ipv6)
            self.plan.mail_servers[name] = ms

    def add_domain(self, s: dict[str, Any], domain: str, category: str | None,
                   generated: bool) -> None:
        d = {**self.cat["defaults"], **s}
        zone = Zone(domain, "auth", d["dnssec"], self.ns_set(d["nameservers"]))
        web_host = f"{d['web_host']}.{domain}" if d.get("web_host") else f"www.{domain}"
        hosts = more_hosts(s["name"], domain, d)
        if d["web"] != NO_WEB_SERVER:
            web = self.plan.web_servers[d["web"]]
            for host in (web_host, domain, *hosts):
                zone.records += address_records(host, web)
                web.sites.append(host)
        zone.records += self.mail_records(domain, d)
        if d.get("caa"):
            zone.records.append(Record(domain, "CAA", f'0 issue "{CA_ISSUER}"'))
        zone.records += scenario_records(s["name"], domain, d.get("records"))
        check_zone(s["name"], domain, zone.records)
        self.plan.zones[domain] = zone
        self.plan.domains.append(ScenarioDomain(
            scenario=s["name"], domain=domain, category=category or d["category"],
            organisation=s.get("organisation", f"Lab {s['name']}"), web_host=web_host,
            mail_domain=domain, expected_web=self.expected(s, "web"),
            expected_mail=self.expected(s, "mail"), generated=generated,
            registered_hosts=[f"{label}.{domain}" for label in d.get("registered") or []]))

    def mail_records(self, domain: str, d: dict[str, Any]) -> list[Record]:
        records: list[Record] = []
        if d["mx"] == "null_mx":
            records.append(Record(domain, "MX", "0 ."))
        else:
            hosts = [h for key in d["mx"] for h in self.plan.mail_servers[key].names]
            for pref, host in enumerate(hosts, start=1):
                records.append(Record(domain, "MX", f"{10 * pref} {host}."))
        spf = d.get("spf")
        for value in [spf] if isinstance(spf, str) else (spf or []):
            records.append(Record(domain, "TXT", txt(value)))
        if d.get("dmarc"):
            records.append(Record(f"_dmarc.{domain}", "TXT", txt(d["dmarc"].format(domain=domain))))
        if d.get("dkim"):
            records.append(Record(f"{DKIM_SELECTOR}._domainkey.{domain}", "TXT", txt(self.dkim)))
        return records

    def expected(self, s: dict[str, Any], kind: str) -> dict[str, str]:
        base = dict(self.cat["defaults"]["expected"][kind])
        override = (s.get("expected") or {}).get(kind) or {}
        unknown = set(override) - set(base)
        if unknown:
            raise LabError(f"scenario {s['name']}: unknown {kind} columns {sorted(unknown)}")
        return {**base, **override}

    def columns(self) -> dict[str, set[str]]:
        return {kind: set(cols) for kind, cols in self.cat["defaults"]["expected"].items()}

    def add_population(self, n: int, changes: int) -> None:
        """N generated domains, drawn from the population file, after ``changes`` rounds."""
        if n <= 0:
            return
        people = self.people or population.load(columns=self.columns())
        defaults = self.cat["defaults"]["expected"]
        for g in population.draw(people, n, changes):
            parts = population.settings(people, g)
            domain = f"{g.category}-{g.number:05d}.nl"
            spec = {"name": "generated", **parts["domain"],
                    "web": self.generated_web(people, parts["web"]),
                    "mx": [self.generated_mail(people, parts["mail"])],
                    "organisation": f"{g.category.capitalize()} {g.number:05d}",
                    "expected": population.expected(people, g, defaults)}
            self.add_domain(spec, domain, g.category, generated=True)

    def generated_web(self, people: population.Population, wrong: dict[str, Any]) -> str:
        """The shared web server with these settings (made on first use); its name."""
        settings = {**people.servers["web"], **wrong}
        name = f"gen-web-{code(settings)}"
        if name not in self.plan.web_servers:
            network = people.servers["network"]
            fields, ipv6 = self.server_fields({"software": "nginx", "network": network,
                                               **settings})
            ws = WebServer(name=name, **fields)
            fill_addresses(self, ws, WEB_HOST_OF[ws.software], network, ipv6)
            self.plan.web_servers[name] = ws
        return name

    def generated_mail(self, people: population.Population, wrong: dict[str, Any]) -> str:
        """The shared MX with these settings (made on first use); its name."""
        settings = {**people.servers["mail"], **wrong}
        name = f"gen-mx-{code(settings)}"
        if name not in self.plan.mail_servers:
            network = people.servers["network"]
            zone = settings.pop("zone")
            if zone not in self.plan.zones:
                raise LabError(f"population: mail zone {zone} is no provider zone")
            fields, ipv6 = self.server_fields({"software": "postfix", "network": network,
                                               "hostname": f"mx-{code(settings)}.{zone}",
                                               **settings})
            ms = MailServer(name=name, **fields)
            fill_addresses(self, ms, MAIL_HOST_OF[ms.software], network, ipv6)
            self.plan.mail_servers[name] = ms
        return name

    def mail_host_records(self) -> None:
        """A/AAAA of every MX host name, in the zone that holds it."""
        for ms in self.plan.mail_servers.values():
            for name in ms.names:
                zone = self.plan.zones[owning_zone(name, self.plan.zones)]
                zone.records += address_records(name, ms)


def more_hosts(scenario: str, domain: str, d: dict[str, Any]) -> list[str]:
    """``hosts``: labels of more web hosts the scenario's web server serves under the
    domain (discovery's scenarios); ``registered`` names those the registry lists."""
    labels = [str(label) for label in d.get("hosts") or []]
    unknown = set(d.get("registered") or []) - set(labels)
    if unknown:
        raise LabError(f"scenario {scenario}: registered hosts {sorted(unknown)} are not "
                       "among its hosts")
    return [f"{label}.{domain}" for label in labels]


def code(settings: dict[str, Any]) -> str:
    """A short name for a combination of server settings, the same on every build."""
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def numbered_names(server: str, pattern: str, count: Any) -> list[str]:
    """``names: N`` of a mail server: its host name pattern with ``{n}`` = 1..N."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 1 or "{n" not in pattern:
        raise LabError(f"mail server {server}: names needs a count >= 1 and {{n}} in hostname")
    names = [pattern.format(n=n) for n in range(1, count + 1)]
    if len(set(names)) != count:
        raise LabError(f"mail server {server}: {pattern} does not give {count} distinct names")
    return names


def within(name: str, zone: str) -> bool:
    return zone == "" or name == zone or name.endswith("." + zone)


def owning_zone(name: str, zones: dict[str, Zone]) -> str:
    """The most specific lab zone that holds a name."""
    best = None
    for zone in zones:
        if within(name, zone) and (best is None or len(zone) > len(best)):
            best = zone
    if best is None:
        raise LabError(f"no lab zone holds {name}")
    return best


def tls_profile(name: str, spec: dict[str, Any]) -> TlsProfile:
    return TlsProfile(name=name, protocols=tuple(spec["protocols"]), ciphers=spec["ciphers"],
                      ciphersuites=spec["ciphersuites"], groups=spec["groups"],
                      prefer_server_ciphers=spec.get("prefer_server_ciphers", True),
                      dhparam_bits=spec.get("dhparam_bits"),
                      client_renegotiation=spec.get("client_renegotiation", False),
                      extended_master_secret=spec.get("extended_master_secret", True))


def fill_addresses(planner: Planner, target: WebServer | MailServer | NameServer,
                   host: str, network: str, ipv6: str) -> None:
    target.ipv4.append(planner.address(host, network, 4))
    if ipv6 == "yes":
        target.ipv6.append(planner.address(host, network, 6))
    elif ipv6 == "dead":
        target.ipv6_dead.append(planner.address(host, network, 6))
    elif ipv6 != "no":
        raise LabError(f"ipv6 must be yes, no or dead, not {ipv6!r}")


def address_records(name: str, server: WebServer | MailServer) -> list[Record]:
    return ([Record(name, "A", a) for a in server.ipv4]
            + [Record(name, "AAAA", a) for a in server.ipv6 + server.ipv6_dead])


def build_plan(prefix: str, generated: int = 0, dkim_public: bytes = b"",
               catalogue: Path | None = None, scenarios: dict[str, Any] | None = None,
               changes: int = 0, people: population.Population | None = None) -> LabPlan:
    """The lab's plan; ``scenarios``: the catalogue as loaded (with a user's scenarios
    merged in by lab.user_catalogue), else read from ``catalogue`` or the shipped one;
    ``changes``: rounds of owners' changes to the generated domains."""
    found = scenarios if scenarios is not None else load_catalogue(catalogue)
    planner = Planner(found, prefix, dkim_public, people)
    plan = planner.build(generated, changes)
    planner.mail_host_records()
    return plan
