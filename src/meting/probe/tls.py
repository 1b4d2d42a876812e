"""The economical TLS prober (SPEC §5): what a server accepts, in few handshakes, for any norm.

For one address, port and server name (SNI), optionally behind SMTP STARTTLS, it
finds the protocol versions, the accepted cipher suites per bucket of
``norms/tls-buckets.yaml`` (every suite is offered; the bucket of the suite the server
picks is removed and the rest offered again until the server refuses: one handshake per
accepted bucket, whose pick is kept as its example, in the order the server picked them),
whether the server enforces that order, the key-exchange groups (by bucket likewise) and
FFDHE groups, the weak hashes it accepts for key-exchange signatures, compression,
renegotiation, 0-RTT, OCSP stapling, extended master secret and the certificate chain as
presented. No norm is read: any norm whose classes do not split a bucket can judge the
scan (``norms.resolution``). Every handshake is counted.

Every handshake runs on the event loop (``tls_conn``), one politeness slot of the
address held for it, with a timeout on every read and write.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from nassl import _nassl
from nassl.ephemeral_key_info import OpenSslEvpPkeyEnum
from nassl.legacy_ssl_client import LegacySslClient
from nassl.ssl_client import OpenSslDigestNidEnum, SslClient

from meting.norms import resolution
from meting.norms import tls as tls_norm
from meting.probe import politeness, scan_sharing
from meting.probe.caa import caa_lookup
from meting.probe.dns import DnsClient
from meting.probe.evidence import DnsAnswer
from meting.probe.tls_conn import (
    Connection,
    Offer,
    ProbeError,
    Result,
    Target,
    handshake,
)
from meting.probe.tls_flight import GROUP_NIDS, TLS13_SUITES
from meting.probe.tls_trust import verify_chain
from meting.settings import Settings

ALL_CIPHERS = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
FS_CIPHERS = "kECDHE:kDHE:!aNULL:@SECLEVEL=0"
ECDHE_CIPHERS = "kECDHE:!aNULL:@SECLEVEL=0"
TLS_VERSIONS = ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1.0")
SSL_VERSIONS = ("SSLv3", "SSLv2")
BELOW_TLS13 = frozenset(TLS_VERSIONS[1:])
# MD5 signatures cannot be offered by nassl's modern OpenSSL (1.1.1 has no such sigalg)
WEAK_HASHES = (OpenSslDigestNidEnum.SHA1, OpenSslDigestNidEnum.SHA224)
HASH_OF = {OpenSslDigestNidEnum.SHA1: "SHA1", OpenSslDigestNidEnum.SHA224: "SHA224"}
SIG_KEYS = (OpenSslEvpPkeyEnum.RSA, OpenSslEvpPkeyEnum.EC)
READ_MAX = 4096
RENEGOTIATION = ("secure_renegotiation", "client_renegotiation", "client_renegotiation_error")
TLS12_ONLY = ("GCM", "CCM", "CHACHA", "SHA256", "SHA384")  # suites TLS 1.0/1.1 cannot use


def completed(version: str, accepted: Iterable[str]) -> bool:
    """Whether the handshake offering ``version`` is completed, given the versions accepted
    before it (``Prober.versions`` tries them best first). Completed are: TLS 1.3's (its
    session ticket follows), the legacy client's (SSL), and the first accepted below TLS
    1.3 (a renegotiation follows); that covers the first accepted version, whose handshake
    also brings the chain and OCSP. Every other accepted version's handshake stops at the
    server's hello. ``run.model`` counts round trips by this rule too."""
    return version not in BELOW_TLS13 or not BELOW_TLS13.intersection(accepted)


@functools.cache
def tls12_suites() -> list[str]:
    """Every TLS <= 1.2 suite nassl's modern OpenSSL can offer, in its default order."""
    client = SslClient()
    client.set_cipher_list(ALL_CIPHERS)
    return [c for c in client.get_cipher_list() if not c.startswith("TLS_")]


def suites_for(version: str) -> list[str]:
    return list(_suites_for(version))


@functools.cache  # asked for every enumeration offer (cipher_string)
def _suites_for(version: str) -> tuple[str, ...]:
    if version == "TLSv1.3":
        return TLS13_SUITES
    if version == "TLSv1.2":
        return tuple(tls12_suites())
    return tuple(s for s in tls12_suites() if not any(t in s for t in TLS12_ONLY))


@functools.cache  # looked up for every suite at every step of an enumeration
def suite_buckets(version: str) -> dict[str, str]:
    return {s: resolution.suite_bucket(s) for s in _suites_for(version)}


# OpenSSL parses a client's cipher list for every connection, walking all its suites once
# per element: a list of 180 names took 440 µs, the same suites as "ALL:COMPLEMENTOFALL"
# minus a few 47 µs. Rules that give exactly ``suites_for(version)``, in its order;
# ``compact_base`` checks that they still do with the OpenSSL at hand.
BASE_RULES = {"TLSv1.2": "ALL:COMPLEMENTOFALL",
              "TLSv1.1": "ALL:COMPLEMENTOFALL:!TLSv1.2:!SHA256:!SHA384",
              "TLSv1.0": "ALL:COMPLEMENTOFALL:!TLSv1.2:!SHA256:!SHA384"}


@functools.cache
def compact_base(version: str) -> str | None:
    """``BASE_RULES[version]`` when OpenSSL makes exactly ``suites_for(version)`` of it."""
    rules = BASE_RULES.get(version)
    if rules is None:
        return None
    client = SslClient()
    client.set_cipher_list(rules + ":@SECLEVEL=0")
    made = [c for c in client.get_cipher_list() if not c.startswith("TLS_")]
    return rules if made == suites_for(version) else None


def cipher_string(version: str, suites: list[str]) -> str:
    """The OpenSSL cipher list offering exactly ``suites`` in this order (TLS <= 1.2): the
    version's base rules minus the suites left out when ``suites`` keeps the base's order
    and that is shorter, else the suites by name."""
    explicit = ":".join(suites) + ":@SECLEVEL=0"
    base = compact_base(version)
    if base is None:
        return explicit
    full = _suites_for(version)
    kept = set(suites)
    if [s for s in full if s in kept] != suites:  # not a part of the base, in its order
        return explicit
    left_out = [s for s in full if s not in kept]
    if len(left_out) >= len(suites):
        return explicit
    return base + "".join(f":!{s}" for s in left_out) + ":@SECLEVEL=0"


class Prober:
    """The handshakes of one server, counted; the evidence is built up in ``scan``."""

    def __init__(self, target: Target, kind: str) -> None:
        self.target = target
        self.kind = kind
        self.count = 0
        self.chosen: dict[str, str] = {}  # version -> the suite chosen when offered all
        self.scan: dict[str, Any] = {
            "address": target.address, "port": target.port, "server_name": target.server_name,
            "starttls": target.starttls, "connected": False,
            "starttls_offered": None,  # web, or no SMTP greeting: nothing known
            "handshake_error": None, "chain": [], "handshakes": 0, "mode": "economical",
            "buckets": resolution.buckets().version, "scanned_at": now_iso()}

    async def run(self, offer: Offer) -> Result:
        self.count += 1
        self.scan["handshakes"] = self.count
        async with politeness.slot(self.target.address):
            return await handshake(self.target, offer)

    # --- protocol versions ----------------------------------------------------------

    async def versions(self) -> dict[str, Result] | None:
        """One handshake per version, best first; None when the server broke the exchange."""
        results: dict[str, Result] = {}
        for version in TLS_VERSIONS + SSL_VERSIONS:
            accepted = [v for v, r in results.items() if r.ok]
            first = not accepted
            complete = completed(version, accepted)
            offer = Offer(version=version, legacy=version in SSL_VERSIONS, ocsp=first,
                          certificate=first,
                          ciphers=None if version in SSL_VERSIONS else ALL_CIPHERS,
                          suites=":".join(TLS13_SUITES),
                          after=self.after_version(version, complete),
                          hello_only=not complete)
            if version in SSL_VERSIONS and not first:
                result = await self.run_nameless(offer)
            else:
                result = await self.run(offer)
            if not self.note_connection(result):
                return None
            results[version] = result
            if result.ok and result.cipher:
                self.chosen[version] = result.cipher
        return results

    async def run_nameless(self, offer: Offer) -> Result:
        """A handshake whose ClientHello carries no server name (SSLv2, SSLv3): its
        outcome for this address and port is the same for every name, so one made for
        an earlier test in the round is reused (``scan_sharing``) and named in
        ``versions_shared``. Not for the first accepted version, whose handshake also
        fetches the chain and OCSP."""
        shared = scan_sharing.current()
        if shared is None:
            return await self.run(offer)
        key = scan_sharing.NamelessKey(self.target.address, self.target.port,
                                       self.target.starttls, offer.version)
        found = shared.nameless(key)
        if found is not None:
            self.scan.setdefault("versions_shared", {})[offer.version] = found.made_at
            return found.result
        made_at = now_iso()
        result = await self.run(offer)
        shared.keep_nameless(key, scan_sharing.NamelessHandshake(result, made_at))
        return result

    def note_connection(self, result: Result) -> bool:
        """Record what the connection said about reachability; False: stop probing."""
        if not result.connected:
            if self.count == 1:
                self.scan["connect_error"] = result.error
                return False
            return True
        self.scan["connected"] = True
        if self.target.starttls is not None:
            if result.smtp:
                self.scan["starttls_offered"] = result.smtp["offered"]
                self.scan.setdefault("banner", result.smtp.get("banner"))
            elif self.count == 1:
                self.scan["smtp_error"] = result.error
                self.scan["starttls_offered"] = None
                return False
            if not self.scan["starttls_offered"]:
                return False
        if result.broken and self.count == 1:
            self.scan["handshake_error"] = result.error or "the TLS exchange broke off"
            return False
        return True

    def after_version(self, version: str, complete: bool
                      ) -> Callable[[Connection, Target], Awaitable[dict[str, Any]]] | None:
        """What follows a version's handshake: the TLS 1.3 session ticket (0-RTT), and a
        client renegotiation after the best version below TLS 1.3 (``renegotiate``): the
        completed handshake of a version below it (``completed``)."""
        if version == "TLSv1.3":
            return self.after_first()
        if version in BELOW_TLS13 and complete:
            return renegotiate
        return None

    def after_first(self) -> Callable[[Connection, Target], Awaitable[dict[str, Any]]]:
        request = self.request()

        async def after(connection: Connection, target: Target) -> dict[str, Any]:
            client = connection.client
            if not isinstance(client, SslClient):
                return {}
            try:
                await connection.write(request)
                await connection.read(READ_MAX)
                session = client.get_session()
                return {"session": session, "max_early_data": session.get_max_early_data()}
            except (OSError, _nassl.OpenSSLError, ProbeError) as exc:
                return {"ticket_error": str(exc)[:200]}

        return after

    def request(self) -> bytes:
        if self.target.starttls == "smtp":
            return b"EHLO meting.invalid\r\n"
        host = self.target.server_name or self.target.address
        return f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()

    # --- cipher suites --------------------------------------------------------------

    async def ciphers(self, version: str, known: str | None) -> dict[str, list[str]]:
        """``{bucket: [example]}`` of the suites accepted at ``version``, in the order the
        server picked them; ``known`` is the suite it picked when offered everything."""
        left = suites_for(version)
        bucket_of = suite_buckets(version)
        found: dict[str, list[str]] = {}
        pick = known if known in left else None
        while left:
            if pick is None:
                result = await self.run(self.suite_offer(version, left))
                if not result.ok or result.cipher not in left:
                    break
                self.note_kex(result)
                pick = result.cipher
            bucket = bucket_of[pick]
            found[bucket] = [pick]
            left = [s for s in left if bucket_of[s] != bucket]
            pick = None
        return found

    @staticmethod
    def suite_offer(version: str, suites: list[str]) -> Offer:
        """Which of ``suites`` does the server choose: its hello tells (``hello_only``)."""
        if version == "TLSv1.3":
            return Offer(version=version, suites=":".join(suites), hello_only=True)
        return Offer(version=version, ciphers=cipher_string(version, suites), hello_only=True)

    async def cipher_order(self, accepted: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
        """Does the server keep its own order? At TLS <= 1.2 if there is one, else TLS 1.3
        (where a missing order is optional). ``preference`` is the order in which it picked
        the buckets' examples: its own order when it enforces one (a norm judges whether
        better classes come first)."""
        below = [v for v in TLS_VERSIONS[1:] if accepted.get(v)]
        version = below[0] if below else "TLSv1.3"
        examples = [suites[0] for suites in (accepted.get(version) or {}).values()]
        order: dict[str, Any] = {"version": version, "tls13_only": not below,
                                 "preference": examples}
        if not examples:
            return order
        offered = list(reversed(examples))
        if len(examples) == 1:  # one bucket: does the server keep its pick among its suites?
            members = resolution.suites_in(resolution.suite_bucket(examples[0]), version)
            offered = [s for s in reversed(suites_for(version)) if s in members]
        if len(offered) < 2:
            return order | {"enforced": True}
        chosen = (await self.run(self.suite_offer(version, offered))).cipher
        return order | {"offered": offered, "chosen": chosen,
                        "enforced": chosen in (examples[0], None)}

    # --- key exchange ---------------------------------------------------------------

    def note_kex(self, result: Result) -> None:
        kex = result.kex
        if not kex:
            return
        if kex["type"] == "DH":
            dh_groups = self.scan.setdefault("ffdhe", [])
            found = {"group": kex["group"], "bits": kex["bits"]}
            if found not in dh_groups:
                dh_groups.append(found)
        elif kex.get("group"):
            seen = self.scan.setdefault("groups_seen", [])
            if kex["group"] not in seen:
                seen.append(kex["group"])

    async def groups(self, version: str, known: str | None) -> dict[str, list[str]]:
        """``{bucket: [example]}`` of the ECDHE groups accepted at ``version`` (TLS <= 1.2);
        ``known`` is the group of a handshake that offered the client's default groups."""
        left = list(GROUP_NIDS)
        found: dict[str, list[str]] = {}
        pick = known if known in left else None
        while left:
            if pick is None:
                result = await self.run(Offer(version=version, ciphers=ECDHE_CIPHERS,
                                              groups=left, hello_only=True))
                pick = (result.kex or {}).get("group")
                if not result.ok or pick not in left:
                    break
            bucket = resolution.group_bucket(pick)
            found[bucket] = [pick]
            left = [g for g in left if resolution.group_bucket(g) != bucket]
            pick = None
        return found

    async def kex_hashes(self) -> list[str]:
        """The weak hashes (SHA-1, SHA-224) the server signs its TLS 1.2 key exchange with
        when a client offers only those, in the order it picked them."""
        accepted: list[str] = []
        hashes = list(WEAK_HASHES)
        while hashes:
            sigalgs = [(h, k) for h in hashes for k in SIG_KEYS]
            result = await self.run(Offer(version="TLSv1.2", ciphers=FS_CIPHERS,
                                          sigalgs=sigalgs, hello_only=True))
            used = next((h for h in hashes if HASH_OF[h] == result.sig_hash), None)
            if not result.ok or used is None:
                break
            accepted.append(HASH_OF[used])
            hashes.remove(used)
        return accepted

    # --- renegotiation, compression, 0-RTT ------------------------------------------

    async def legacy_features(self, version: str) -> dict[str, Any]:
        """Compression and renegotiation in one handshake of nassl's legacy OpenSSL."""
        result = await self.run(Offer(version=version, legacy=True, after=renegotiate))
        if not result.ok:
            return {"legacy_error": result.error}
        return result.extra

    async def compression(self, version: str) -> dict[str, Any]:
        """Whether the server chooses compression when it is offered: the legacy client's
        hello, and the ServerHello's answer (``tls_hello``)."""
        result = await self.run(Offer(version=version, legacy=True, hello_only=True))
        if not result.ok:
            return {"compression": None, "legacy_error": result.error}
        return result.extra

    async def renegotiation_and_compression(self, version: str, best: Result
                                            ) -> dict[str, Any]:
        """The renegotiation facts come from the modern client's handshake of ``version``
        (``after_version``), compression from a legacy hello. Where the modern client
        could not try a renegotiation (SSLv3, or no secure renegotiation, which OpenSSL
        1.1.1 refuses to renegotiate without), the legacy client's full handshake gives
        all three, as before."""
        found = best.extra if version != "SSLv3" else {}
        if found.get("secure_renegotiation") is not True:
            return await self.legacy_features(version)
        return {key: found[key] for key in RENEGOTIATION if key in found} | \
            await self.compression(version)

    async def zero_rtt(self, first: Result) -> dict[str, Any]:
        info: dict[str, Any] = {"max_early_data": first.extra.get("max_early_data", 0)}
        session = first.extra.get("session")
        if not info["max_early_data"] or session is None:
            info["accepted"] = False
            return info
        result = await self.run(Offer(version="TLSv1.3", session=session,
                                      early_data=self.request(), after=early_data_status))
        info |= {"accepted": bool(result.extra.get("accepted")),
                 "http_status": result.extra.get("http_status")}
        return info

    # --- the whole scan -------------------------------------------------------------

    async def probe(self, trust_store: str) -> dict[str, Any]:
        versions = await self.versions()
        if versions is None:
            return self.scan
        accepted_versions = [v for v, r in versions.items() if r.ok]
        self.scan["versions"] = {v: r.ok for v, r in versions.items()}
        if not accepted_versions:
            errors = [r.error for r in versions.values() if r.error]
            self.scan["handshake_error"] = ("no protocol version accepted: "
                                            + (errors[0] if errors else "no answer"))
            return self.scan
        best = versions[accepted_versions[0]]
        for result in versions.values():
            if result.ok:
                self.note_kex(result)
        self.scan["chain"] = best.chain
        self.scan["ocsp_response"] = best.ocsp
        self.scan["trust"] = verify_chain(best.chain, trust_store)
        ciphers: dict[str, dict[str, list[str]]] = {}
        for version in accepted_versions:
            if version in SSL_VERSIONS:
                continue
            ciphers[version] = await self.ciphers(version, versions[version].cipher)
        self.scan["ciphers"] = ciphers
        self.scan["cipher_order"] = await self.cipher_order(ciphers)
        await self.below_tls13(versions, ciphers)
        if versions["TLSv1.3"].ok:
            self.scan["zero_rtt"] = await self.zero_rtt(versions["TLSv1.3"])
        else:
            self.scan["zero_rtt"] = {"max_early_data": 0, "accepted": False}
        return self.scan

    async def below_tls13(self, versions: dict[str, Result],
                          ciphers: dict[str, dict[str, list[str]]]) -> None:
        """Groups, signature hashes, EMS, compression and renegotiation (TLS <= 1.2)."""
        below = [v for v in (*TLS_VERSIONS[1:], "SSLv3") if versions[v].ok]
        self.scan |= {"groups_accepted": {}, "kex_hash": {"accepted": [], "default": None},
                      "extended_master_secret": None, "compression": None,
                      "secure_renegotiation": None, "client_renegotiation": None}
        if not below:
            return
        top = below[0]
        suites = [s for per_class in ciphers.get(top, {}).values() for s in per_class]
        kexes = {tls_norm.suite(s).kex for s in suites}
        if "ECDHE" in kexes and top != "SSLv3":
            known = (versions[top].kex or {}).get("group")
            self.scan["groups_accepted"] = await self.groups(top, known)
        if top == "TLSv1.2" and kexes & {"ECDHE", "DHE"}:
            self.scan["kex_hash"] = {"accepted": await self.kex_hashes(),
                                     "default": versions[top].sig_hash}
        elif kexes & {"ECDHE", "DHE"}:  # TLS 1.0/1.1 sign with MD5+SHA-1 or SHA-1
            self.scan["kex_hash"] = {"accepted": ["SHA1"], "default": "SHA1"}
        self.scan["extended_master_secret"] = versions[top].ems
        self.scan |= await self.renegotiation_and_compression(top, versions[top])


async def renegotiate(connection: Connection, target: Target) -> dict[str, Any]:
    """Secure renegotiation of this session (and with the legacy client its compression);
    then a client renegotiation, unless the modern client would refuse it for want of
    secure renegotiation. Both builds expose ``renegotiate`` and the secure-renegotiation
    flag on their connection object (nassl's ``_ssl``, pinned nassl 5.4.0)."""
    client = connection.client
    ssl_object = client._ssl
    found: dict[str, Any] = {
        "secure_renegotiation": bool(ssl_object.get_secure_renegotiation_support())}
    if isinstance(client, LegacySslClient):
        found["compression"] = client.get_current_compression_method() is not None
    elif not found["secure_renegotiation"]:
        return found

    def start() -> None:
        ssl_object.renegotiate()
        client.do_handshake()

    try:
        # asks for the renegotiation once; when it waits for the server, the handshake goes on
        await connection.step(start, again=client.do_handshake)
        found["client_renegotiation"] = True
    except (OSError, _nassl.OpenSSLError, ValueError, ProbeError) as exc:
        found["client_renegotiation"] = False
        found["client_renegotiation_error"] = str(exc)[:200]
    return found


async def early_data_status(connection: Connection, target: Target) -> dict[str, Any]:
    client = connection.client
    if not isinstance(client, SslClient):
        return {}
    accepted = client.get_early_data_status().name == "ACCEPTED"
    status = None
    if accepted and target.starttls is None:
        try:
            head = (await connection.read(READ_MAX)).split(b"\r\n", 1)[0].split()
            status = int(head[1]) if len(head) > 1 and head[1].isdigit() else None
        except (OSError, _nassl.OpenSSLError, ProbeError):
            status = None
    return {"accepted": accepted, "http_status": status}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


async def scan_address(address: str, port: int, server_name: str, *, starttls: str | None,
                       settings: Settings, kind: str) -> dict[str, Any]:
    """The economical scan of one address (see the module docstring); a scan of the same
    server made earlier in the round when one is shared (``scan_sharing``)."""
    step = settings.smtp_banner_timeout if starttls else settings.connect_timeout
    target = Target(address, port, server_name, starttls, step, step * 3)

    async def make() -> dict[str, Any]:
        return await Prober(target, kind).probe(settings.trust_store)

    shared = scan_sharing.current()
    if shared is None:
        return await make()
    key = scan_sharing.ServerKey.of(address, port, server_name, starttls, settings.trust_store)
    return await shared.scan(key, make)


async def scan_host(name: str, addresses: list[str], port: int, *, starttls: str | None,
                    settings: Settings) -> dict[str, dict[str, Any]]:
    """``{address: scan}`` for every address of a web host (443) or MX (25, STARTTLS)."""
    kind = "mail" if starttls else "web"
    scans = await asyncio.gather(*(scan_address(a, port, name, starttls=starttls,
                                                settings=settings, kind=kind)
                                   for a in addresses))
    return dict(zip(addresses, scans, strict=True))



async def web_tls_evidence(host: str, addresses: list[str], client: DnsClient,
                           settings: Settings) -> dict[str, Any]:
    """``{"tls": {address: scan}, "caa": ...}`` for a web host (port 443)."""
    scans, caa = await asyncio.gather(
        scan_host(host, addresses, 443, starttls=None, settings=settings),
        caa_lookup(client, host))
    return {"tls": scans, "caa": caa}


async def mail_tls_evidence(entries: list[dict[str, Any]], client: DnsClient,
                            settings: Settings) -> None:
    """Add ``starttls`` ({address: scan}, port 25) and ``caa`` to every MX entry."""
    async def one(entry: dict[str, Any]) -> None:
        addrs = [a for key in ("a", "aaaa") for a in address_list(entry[key])]
        entry["starttls"], entry["caa"] = await asyncio.gather(
            scan_host(entry["name"], addrs, 25, starttls="smtp", settings=settings),
            caa_lookup(client, entry["name"]))

    await asyncio.gather(*(one(e) for e in entries))


def address_list(answer: dict[str, Any]) -> list[str]:
    found = DnsAnswer.from_dict(answer)
    return list(found.answers) if found.rcode == "NOERROR" else []
