"""The resolved lab: every host, zone and server the lab builds, with addresses.

The catalogue (``scenarios.yaml``) says what each scenario needs; ``plan`` turns it
into these records, and the server modules (``dns``, ``web``, ``mail``,
``hostile``) turn these records into configuration files and processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# signed_nsec3: signed with NSEC3 (RFC 5155) instead of NSEC, so the zone cannot be walked
DnssecMode = Literal["signed", "unsigned", "bogus_expired", "bogus_ds", "signed_nsec3"]
CertKind = Literal["valid", "expired", "self_signed", "wrong_name", "sha1"]
KeyKind = Literal["ec256", "rsa2048", "rsa3072"]
HttpMode = Literal["redirect", "redirect_other_host", "content", "none", "loop"]
SecurityTxt = Literal["valid", "expired", "missing", "redirected"]
WebSoftware = Literal["nginx", "openssl", "silent", "tls_garbage"]
MailSoftware = Literal["postfix", "slow_banner"]
Ipv6Mode = Literal["yes", "no", "dead"]


@dataclass(frozen=True)
class Network:
    """An address block with its routing facts (the lab's RPKI data)."""

    name: str
    ipv4_prefix: str
    ipv6_prefix: str
    origin_asn: int
    roa: Literal["valid", "invalid", "none"]
    roa_asn: int | None = None  # the AS the ROA authorises, when roa is "invalid"


@dataclass
class Host:
    """One network namespace of the lab (``<prefix><name>``)."""

    name: str
    addresses: list[str] = field(default_factory=list)  # every address, v4 and v6


@dataclass(frozen=True)
class Record:
    owner: str  # absolute name without the trailing dot, "" for the root
    rtype: str
    rdata: str  # presentation format; names in rdata are absolute with a trailing dot
    ttl: int = 3600


@dataclass
class Zone:
    name: str  # "" for the root, "nl", "example.nl", ...
    server: Literal["root", "tld", "auth"]
    dnssec: DnssecMode
    nameservers: list[str]  # host names of the zone's NS records
    records: list[Record] = field(default_factory=list)


@dataclass(frozen=True)
class TlsProfile:
    """A server-side TLS configuration, in OpenSSL terms."""

    name: str
    protocols: tuple[str, ...]  # "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"
    ciphers: str  # OpenSSL cipher string for TLS <= 1.2 (may carry @SECLEVEL=0)
    ciphersuites: str  # TLS 1.3 suites
    groups: str  # "X25519:prime256v1:secp384r1"
    prefer_server_ciphers: bool = True
    dhparam_bits: int | None = None  # enables DHE suites with a group of this size
    client_renegotiation: bool = False
    extended_master_secret: bool = True  # off: no EMS (RFC 7627) in TLS 1.2 (nginx only)


@dataclass(frozen=True)
class CertSpec:
    kind: CertKind = "valid"
    key: KeyKind = "ec256"


@dataclass
class CertFiles:
    chain: str  # PEM: leaf first, then intermediate (self-signed: leaf only)
    key: str  # PEM private key
    ocsp: str | None = None  # DER OCSP response to staple, if any
    leaf_der_sha256: str = ""  # hex, for TLSA 3 0 1
    spki_sha256: str = ""  # hex, for TLSA 3 1 1


@dataclass
class WebServer:
    """A web server at its own addresses; many sites (host names) may share it."""

    name: str
    software: WebSoftware
    network: str
    ipv4: list[str] = field(default_factory=list)  # listening addresses
    ipv6: list[str] = field(default_factory=list)  # listening addresses
    ipv6_dead: list[str] = field(default_factory=list)  # AAAA published, nothing listens
    tls: TlsProfile | None = None  # None: no HTTPS
    cert: CertSpec = field(default_factory=CertSpec)
    ocsp_stapling: bool = True
    http: HttpMode = "redirect"
    hsts_max_age: int | None = 31536000
    security_txt: SecurityTxt = "valid"
    security_headers: bool = True
    ipv6_same_site: bool = True  # False: the IPv6 address serves another site
    huge_body: bool = False  # "/" answers with a 10 MB body
    sites: list[str] = field(default_factory=list)  # host names served
    certs: dict[str, CertFiles] = field(default_factory=dict)  # per site, filled by pki


@dataclass
class MailServer:
    """An MX host: one name, its own addresses, one SMTP configuration."""

    name: str  # catalogue key
    hostname: str  # the MX target name
    software: MailSoftware
    network: str
    ipv4: list[str] = field(default_factory=list)
    ipv6: list[str] = field(default_factory=list)
    ipv6_dead: list[str] = field(default_factory=list)
    starttls: bool = True
    tls: TlsProfile | None = None
    cert: CertSpec = field(default_factory=CertSpec)
    # match: 3 1 1 of the leaf; ta: 2 1 1 of the intermediate CA; rollover: both
    tlsa: Literal["match", "mismatch", "none", "ta", "rollover"] = "match"
    certs: CertFiles | None = None  # filled by pki
    aliases: list[str] = field(default_factory=list)  # more MX names of the same server

    @property
    def names(self) -> list[str]:
        """Every MX name the server answers as: its host name, then its aliases."""
        return [self.hostname, *self.aliases]


@dataclass
class NameServer:
    hostname: str
    network: str
    ipv4: list[str] = field(default_factory=list)
    ipv6: list[str] = field(default_factory=list)
    ipv6_dead: list[str] = field(default_factory=list)


Columns = dict[str, str]


@dataclass
class ScenarioDomain:
    """One measured domain with where it is tested and what it must get."""

    scenario: str
    domain: str
    category: str
    organisation: str
    web_host: str
    mail_domain: str
    expected_web: Columns
    expected_mail: Columns
    generated: bool = False
    # more web hosts of the domain that the registry lists (scenario key ``registered``)
    registered_hosts: list[str] = field(default_factory=list)


@dataclass
class LabPlan:
    prefix: str  # namespace prefix, e.g. "mtl-"
    hosts: dict[str, Host]
    networks: dict[str, Network]
    zones: dict[str, Zone]
    nameservers: dict[str, NameServer]
    web_servers: dict[str, WebServer]
    mail_servers: dict[str, MailServer]
    domains: list[ScenarioDomain]
    resolver: str  # the validating resolver's IPv4 address
    resolver6: str
    scanner: list[str]  # the scanner namespace's addresses
    mailbox: list[str] = field(default_factory=list)  # the mail relay with mailboxes
    ct_log: list[str] = field(default_factory=list)  # the CT log's nginx (lab/ct_log.py)
