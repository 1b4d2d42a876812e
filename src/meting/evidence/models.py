"""Models of the evidence of one web test and one mail test (version ``EVIDENCE_VERSION``).

The probes build plain JSON-safe dicts; these models say what those dicts hold, field
by field, so that a renamed or missing key is found when evidence is stored or loaded,
not when a round misjudges. Unknown keys are refused (``extra="forbid"``). A field
that a probe leaves out in some cases (a scan that stopped early) has a default of
None and is marked "absent when …" in its description.

The published JSON Schema (docs/evidence-schema.json) is generated from these models:
``meting evidence schema --out docs/evidence-schema.json``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

EVIDENCE_VERSION = 3

Address = str  # an IPv4 or IPv6 address in its usual text form


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- DNS, TCP, HTTP ------------------------------------------------------------------

class DnsAnswer(Model):
    """One DNS question and what came back (``probe.evidence.DnsAnswer``)."""

    name: str
    rtype: str
    server: str = Field(description="the resolver or authoritative server asked")
    rcode: str = Field(description="NOERROR, NXDOMAIN, SERVFAIL, …; empty when nothing came")
    ad: bool
    cd_used: bool = Field(description="the answer is from a second query with CD set")
    answers: list[str] = Field(description="rdata of the final owner's rrset, presentation")
    elapsed_ms: float
    error: str | None
    security: Literal["secure", "insecure", "bogus", "error"]
    cname_chain: list[str] = []
    transport: Literal["udp", "tcp", ""] = ""
    attempts: int = 0
    authoritative: bool = False
    aa: bool = False
    omitted: int = Field(0, description="records left out over the max_answers setting")

    @property
    def ok(self) -> bool:
        """A usable answer came (NXDOMAIN and NODATA are answers too)."""
        return self.security != "error"

    @property
    def exists(self) -> bool:
        """The name exists (NOERROR), whatever the number of answers."""
        return self.rcode == "NOERROR"

    @property
    def found(self) -> list[str]:
        """The answers of a NOERROR answer; none otherwise."""
        return list(self.answers) if self.exists else []


class Reach(Model):
    """A TCP connection to (address, port), with the SMTP greeting where one was read."""

    address: Address
    port: int
    ok: bool
    banner: str | None
    elapsed_ms: float
    error: str | None


class HttpResponse(Model):
    """One HTTP(S) request to one address and its answer (``probe.http.HttpResponse``)."""

    address: Address
    host: str
    port: int
    tls: bool
    path: str
    status: int = Field(description="0 when no answer came")
    headers: list[tuple[str, str]]
    body: str
    body_bytes: int
    truncated: bool
    elapsed_ms: float
    error: str | None
    failure: Literal["", "refused", "no_connection", "tls", "http"] = ""
    kept: bool = Field(False, description="sent on the connection an earlier HTTPS request "
                       "of the test to this address and host left open (HTTP/1.1 "
                       "persistence): no TCP connect or TLS handshake of its own")

    def header(self, name: str) -> list[str]:
        """Every value of a header, in the order received (names compared without case)."""
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Hop(Model):
    """One request of a redirect chain."""

    url: str
    address: Address
    status: int
    location: str | None
    failure: Literal["", "refused", "no_connection", "tls", "http"]
    error: str | None
    kept: bool = Field(False, description="as HttpResponse.kept")


ChainEnd = Literal["answer", "failure", "loop", "too_many_redirects", "bad_location",
                   "insecure_redirect", "no_address", "deadline"]


class Chain(Model):
    """A redirect chain from ``http://host/``."""

    hops: list[Hop]
    end: ChainEnd


class SecurityTxtFetch(Model):
    """``/.well-known/security.txt`` over HTTPS, with the body of the last answer."""

    hops: list[Hop]
    end: ChainEnd
    status: int | None = Field(None, description="absent when no answer came")
    content_type: str | None = None
    body: str | None = None
    truncated: bool | None = None
    fetched_at: str = Field(description="ISO time of the fetch; Expires is judged against it")


class AddressHttp(Model):
    https: HttpResponse = Field(description="the first HTTPS answer to / (headers)")
    http: Chain = Field(description="port 80 and the redirects that follow")
    security_txt: SecurityTxtFetch


class HostAddresses(Model):
    name: str
    a: DnsAnswer
    aaaa: DnsAnswer


class NameServer(HostAddresses):
    reach6: dict[Address, DnsAnswer] = Field(
        description="per IPv6 address: the SOA of the zone asked of it directly")


class NameServersFailed(Model):
    failed: DnsAnswer = Field(description="the NS query that gave no usable answer")


class Caa(Model):
    """The relevant CAA record set (RFC 8659), found by climbing the tree."""

    name: str
    found_at: str | None
    records: list[str]
    queried: list[str]
    error: str | None


class Vrp(Model):
    prefix: str
    max_length: int
    asn: int


class AddressRouting(Model):
    address: Address
    routes: list[tuple[str, int]] = Field(description="(prefix, origin AS), most specific")
    vrps: list[Vrp]


# --- TLS -----------------------------------------------------------------------------

class Trust(Model):
    trusted: bool
    error: str | None
    store: str = Field(description="the trust store the chain was verified against")


class CipherOrder(Model):
    version: str
    tls13_only: bool
    preference: list[str] | None = Field(
        None, description="the buckets' examples in the order the server picked them "
                          "(absent in scans from before the buckets)")
    offered: list[str] | None = None
    chosen: str | None = None
    chosen_reversed: str | None = None
    expected: str | None = None
    enforced: bool | None = Field(None, description="absent when fewer than one class")
    prescribed: bool | None = None


class ZeroRtt(Model):
    max_early_data: int | None = Field(None, description="absent in a full (sslyze) scan")
    accepted: bool
    http_status: int | None = None


class KexHash(Model):
    accepted: list[str]
    default: str | None


class FfdheGroup(Model):
    group: str | None = Field(description="the RFC 7919 name; None for another prime")
    bits: int


class SharedScan(Model):
    """This scan was made once in the round for an earlier test of the same server (the
    same address, port, server name and STARTTLS) and given to this test as well."""

    handshakes: int = Field(description="TCP connections the scan opened (this test: 0)")


class TlsScan(Model):
    """What one TLS server (an address and port, SNI, maybe behind STARTTLS) accepts.

    A scan that could not connect or hand-shake stops early: the fields after
    ``scanned_at`` are then absent.
    """

    address: Address
    port: int
    server_name: str
    starttls: Literal["smtp"] | None
    connected: bool
    starttls_offered: bool | None = Field(description="None for web or without a greeting")
    handshake_error: str | None
    chain: list[str] = Field(description="the presented chain, base64 DER, leaf first")
    handshakes: int = Field(description="TCP connections this scan opened")
    mode: Literal["economical", "full"]
    buckets: int | None = Field(
        None, description="the version of norms/tls-buckets.yaml whose buckets of suites "
                          "and groups the scan told apart (from evidence version 3 on)")
    norm: str | None = Field(
        None, description="evidence version 2 only: the norm whose classes the scan told "
                          "apart instead of buckets")
    scanned_at: str
    connect_error: str | None = None
    smtp_error: str | None = None
    banner: str | None = None
    sslyze_error: str | None = None
    versions: dict[str, bool] | None = None
    ocsp_response: str | None = None
    trust: Trust | None = None
    ciphers: dict[str, dict[str, list[str]]] | None = Field(
        None, description="version -> bucket (version 2: class) -> accepted suites")
    cipher_order: CipherOrder | None = None
    groups_seen: list[str] | None = None
    groups_accepted: dict[str, list[str]] | None = None
    ffdhe: list[FfdheGroup] | None = None
    kex_hash: KexHash | None = None
    extended_master_secret: bool | None = None
    compression: bool | None = None
    secure_renegotiation: bool | None = None
    client_renegotiation: bool | None = None
    client_renegotiation_error: str | None = None
    legacy_error: str | None = None
    zero_rtt: ZeroRtt | None = None
    versions_shared: dict[str, str] | None = Field(
        None, description="versions whose handshake carries no server name (SSLv2, SSLv3): "
                          "their outcome was taken from the same address and port's handshake "
                          "for an earlier test in the round, made at the time given, and is "
                          "not counted in handshakes")
    shared: SharedScan | None = Field(
        None, description="set when the round shared this scan of the same server from an "
                          "earlier test (probe/scan_sharing.py); absent: this test made it")

    @model_validator(mode="after")
    def buckets_or_classes(self) -> TlsScan:
        if (self.buckets is None) == (self.norm is None):
            raise ValueError("a TLS scan names either its buckets (evidence version 3) or "
                             "the norm whose classes it told apart (version 2)")
        return self


# --- the two tests -------------------------------------------------------------------

def _nameserver_kind(value: Any) -> str:
    return "failed" if isinstance(value, dict) and "failed" in value else "found"


NameServerEntry = Annotated[
    Annotated[NameServer, Tag("found")] | Annotated[NameServersFailed, Tag("failed")],
    Discriminator(_nameserver_kind)]


class Versioned(Model):
    evidence_version: Literal[3] = Field(description="the version of this schema")
    target: str


class Missing(Model):
    """The tested name does not exist (NXDOMAIN on every question about it)."""

    name: str
    registered_domain: str
    registered_rcode: str = Field(description="the SOA query of the registered domain")


class Measured(Versioned):
    dns_queries: int = Field(description="DNS messages the test sent")
    resolver_dnssec_ok: bool = Field(
        True, description="the validating resolver was asked with the DO bit; false: without "
                          "it, having set AD without it when checked (meting.probe.dns)")
    missing: Missing | None = Field(description="None when the name exists")
    refused: dict[Address, str] = Field(
        description="addresses not connected to (special-purpose: loopback, private, …), "
                    "with their kind")
    failed_attempts: list[str] | None = Field(
        None, description="why earlier attempts failed; absent when the first one succeeded")


class WebEvidence(Measured):
    """Everything the web test of one host found."""

    kind: Literal["web"]
    zone: str = Field(description="the closest enclosing zone of the host")
    host: HostAddresses
    nameservers: list[NameServerEntry]
    ports: dict[Address, dict[Literal["80", "443"], Reach]]
    site: dict[Literal["v4", "v6"], HttpResponse] = Field(
        description="the page on the first address of each family (IPv4/IPv6 likeness)")
    http: dict[Address, AddressHttp]
    tls: dict[Address, TlsScan]
    caa: Caa
    routing: dict[Address, AddressRouting] | None = Field(
        description="None when no RPKI files were given")


class MxHost(HostAddresses):
    tlsa: DnsAnswer = Field(description="_25._tcp.<mx> TLSA")
    smtp6: dict[Address, Reach] = Field(description="the SMTP greeting per IPv6 address")
    starttls: dict[Address, TlsScan]
    caa: Caa


class SpfTree(Model):
    records: dict[str, list[str]] = Field(description="TXT strings of every name in the tree")
    answers: dict[str, DnsAnswer]


class MailAuth(Model):
    txt: DnsAnswer
    spf_tree: SpfTree
    dmarc: list[DnsAnswer] = Field(description="_dmarc at the domain, then the org. domain")
    domainkey: DnsAnswer


class MailEvidence(Measured):
    """Everything the mail test of one domain found."""

    kind: Literal["mail"]
    zone: str
    mx_answer: DnsAnswer
    null_mx: bool
    mx: list[MxHost] = Field(description="at most 10, by preference")
    mx_skipped: list[str]
    nameservers: list[NameServerEntry]
    mail_auth: MailAuth
    routing: dict[Address, AddressRouting] | None


class Attempts(Model):
    attempts: list[str] = Field(description="why each attempt failed")


class NotTestableEvidence(Versioned):
    """A test whose every attempt failed: no evidence, only why."""

    kind: Literal["web", "mail"]
    not_testable: Attempts


def _evidence_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "not_testable" if "not_testable" in value else str(value.get("kind"))
    return ""


TestEvidence = Annotated[
    Annotated[WebEvidence, Tag("web")] | Annotated[MailEvidence, Tag("mail")]
    | Annotated[NotTestableEvidence, Tag("not_testable")],
    Discriminator(_evidence_kind)]
