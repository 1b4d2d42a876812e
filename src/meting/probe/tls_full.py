"""The baseline: sslyze 6.3.1's full scan, converted into the evidence shape of ``tls.py``.

sslyze tries every cipher suite of every version, every elliptic curve, compression,
renegotiation, early data, extended master secret and the certificate. What it does
not measure — the server's cipher order and the hashes accepted for key-exchange
signatures, and Extended Master Secret where TLS 1.3 is also offered (sslyze then
reports it supported without asking) — is added with the economical prober's own
handshakes. Connections are counted by wrapping sslyze's socket opener (one full scan at
a time, so the count is exact). When sslyze cannot connect at all, the economical prober
supplies the preconditions (connected, STARTTLS offered, handshake error): there is
nothing to enumerate then.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from nassl.ephemeral_key_info import DhEphemeralKeyInfo
from sslyze.connection_helpers import tls_connection
from sslyze.connection_helpers.opportunistic_tls_helpers import ProtocolWithOpportunisticTlsEnum
from sslyze.plugins.scan_commands import ScanCommand
from sslyze.scanner.models import (
    ServerConnectivityStatusEnum,
    ServerScanRequest,
    ServerScanResult,
)
from sslyze.scanner.scanner import Scanner
from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation

from meting.norms import resolution
from meting.norms import tls as tls_norm
from meting.probe import ffdhe, guard
from meting.probe.tls import ALL_CIPHERS, TLS_VERSIONS, Prober, now_iso
from meting.probe.tls_conn import Offer, Target
from meting.probe.tls_trust import verify_chain
from meting.settings import Settings

VERSION_COMMANDS = {"SSLv2": ScanCommand.SSL_2_0_CIPHER_SUITES,
                    "SSLv3": ScanCommand.SSL_3_0_CIPHER_SUITES,
                    "TLSv1.0": ScanCommand.TLS_1_0_CIPHER_SUITES,
                    "TLSv1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
                    "TLSv1.2": ScanCommand.TLS_1_2_CIPHER_SUITES,
                    "TLSv1.3": ScanCommand.TLS_1_3_CIPHER_SUITES}
COMMANDS = {*VERSION_COMMANDS.values(), ScanCommand.TLS_COMPRESSION,
            ScanCommand.SESSION_RENEGOTIATION, ScanCommand.TLS_1_3_EARLY_DATA,
            ScanCommand.ELLIPTIC_CURVES, ScanCommand.TLS_EXTENDED_MASTER_SECRET,
            ScanCommand.CERTIFICATE_INFO}
BELOW_TLS13 = ("TLSv1.2", "TLSv1.1", "TLSv1.0", "SSLv3")

_one_at_a_time = threading.Lock()
_opened = [0]
_original_open = tls_connection._open_socket


def _counting_open(location: ServerNetworkLocation, timeout: int) -> socket.socket:
    guard.check(location.ip_address or location.hostname)
    _opened[0] += 1
    return _original_open(location, timeout)


def run_sslyze(address: str, port: int, server_name: str, starttls: str | None,
               timeout: float) -> tuple[ServerScanResult, int]:
    """sslyze's scan of one server (blocking) and the TCP connections it opened."""
    location = ServerNetworkLocation(hostname=server_name or address, port=port,
                                     ip_address=address)
    config = ServerNetworkConfiguration(
        tls_server_name_indication=server_name or address,
        tls_opportunistic_encryption=ProtocolWithOpportunisticTlsEnum.SMTP if starttls else None,
        network_timeout=max(1, int(timeout)), network_max_retries=1)
    request = ServerScanRequest(server_location=location, network_configuration=config,
                                scan_commands=COMMANDS)
    with _one_at_a_time:
        _opened[0] = 0
        tls_connection._open_socket = _counting_open  # type: ignore[assignment]
        try:
            scanner = Scanner(per_server_concurrent_connections_limit=5)
            scanner.queue_scans([request])
            result = next(iter(scanner.get_results()))
        finally:
            tls_connection._open_socket = _original_open
        return result, _opened[0]


def result_of(attempt: Any) -> Any:
    return attempt.result if attempt is not None and attempt.result is not None else None


def convert(raw: ServerScanResult, scan: dict[str, Any], trust_store: str) -> None:
    """Fill ``scan`` (the economical shape) from sslyze's results."""
    results = raw.scan_result
    assert results is not None
    versions: dict[str, bool] = {}
    ciphers: dict[str, dict[str, list[str]]] = {}
    dh_groups: list[dict[str, Any]] = []
    for version, command in VERSION_COMMANDS.items():
        found = result_of(getattr(results, command.value))
        accepted = list(found.accepted_cipher_suites) if found else []
        versions[version] = bool(accepted)
        if accepted and version not in ("SSLv2", "SSLv3"):
            per_bucket: dict[str, list[str]] = {}
            for suite in accepted:
                name = suite.cipher_suite.openssl_name
                per_bucket.setdefault(resolution.suite_bucket(name), []).append(name)
                key = suite.ephemeral_key
                if isinstance(key, DhEphemeralKeyInfo):
                    group = {"group": ffdhe.group_name(key.prime, key.generator),
                             "bits": key.size}
                    dh_groups += [group] if group not in dh_groups else []
            ciphers[version] = per_bucket
    scan |= {"versions": versions, "ciphers": ciphers, "ffdhe": dh_groups}
    curves(result_of(results.elliptic_curves), scan)
    below = any(versions[v] for v in BELOW_TLS13)
    compression = result_of(results.tls_compression)
    reneg = result_of(results.session_renegotiation)
    ems = result_of(results.tls_extended_master_secret)
    early = result_of(results.tls_1_3_early_data)
    scan |= {
        "compression": compression.supports_compression if below and compression else None,
        "secure_renegotiation": reneg.supports_secure_renegotiation if below and reneg else None,
        "client_renegotiation": (reneg.client_renegotiations_success_count > 0
                                 if below and reneg else None),
        "extended_master_secret": ems.supports_ems_extension if below and ems else None,
        "zero_rtt": {"accepted": bool(early and early.supports_early_data),
                     "http_status": None}}
    certificates(result_of(results.certificate_info), scan, trust_store)


def curves(found: Any, scan: dict[str, Any]) -> None:
    """Every group sslyze found accepted, by bucket (the full list, not one example)."""
    names = [c.name for c in (found.supported_curves or [])] if found else []
    accepted: dict[str, list[str]] = {}
    for name in names:
        accepted.setdefault(resolution.group_bucket(name), []).append(name)
    scan["groups_seen"], scan["groups_accepted"] = [], accepted


def certificates(info: Any, scan: dict[str, Any], trust_store: str) -> None:
    deployment = info.certificate_deployments[0] if info and info.certificate_deployments \
        else None
    chain = [base64.b64encode(c.public_bytes(Encoding.DER)).decode()
             for c in (deployment.received_certificate_chain if deployment else [])]
    ocsp = deployment.ocsp_response if deployment else None
    scan["chain"] = chain
    scan["ocsp_response"] = (base64.b64encode(ocsp.public_bytes(Encoding.DER)).decode()
                             if ocsp is not None else None)
    scan["trust"] = verify_chain(chain, trust_store)


async def full_scan_address(address: str, port: int, server_name: str, *,
                            starttls: str | None, settings: Settings,
                            kind: str) -> dict[str, Any]:
    """The full enumeration of one address, in the evidence shape of the economical scan."""
    step = settings.smtp_banner_timeout if starttls else settings.connect_timeout
    target = Target(address, port, server_name, starttls, step, step * 3)
    prober = Prober(target, kind)
    raw, opened = await asyncio.to_thread(run_sslyze, address, port, server_name, starttls,
                                          settings.connect_timeout)
    if (raw.connectivity_status != ServerConnectivityStatusEnum.COMPLETED
            or raw.scan_result is None):
        scan = await prober.probe(settings.trust_store)
        error = raw.connectivity_error_trace
        return scan | {"mode": "full", "handshakes": scan["handshakes"] + opened,
                       "sslyze_error": str(error)[-300:] if error else None}
    scan = prober.scan | {"mode": "full", "connected": True, "scanned_at": now_iso(),
                          "starttls_offered": True if starttls else None}
    convert(raw, scan, settings.trust_store)
    scan["cipher_order"] = await server_order(prober, scan["ciphers"])
    top = next((v for v in BELOW_TLS13 if scan["versions"][v]), None)
    kexes = {tls_norm.suite(s).kex for c in scan["ciphers"].get(top or "", {}).values()
             for s in c}
    scan["kex_hash"] = {"accepted": [], "default": None}
    if top == "TLSv1.2" and kexes & {"ECDHE", "DHE"}:
        scan["kex_hash"]["accepted"] = await prober.kex_hashes()
    elif kexes & {"ECDHE", "DHE"}:  # TLS 1.0/1.1 sign with MD5+SHA-1 or SHA-1
        scan["kex_hash"] = {"accepted": ["SHA1"], "default": "SHA1"}
    if top is not None and top != "SSLv3" and scan["versions"]["TLSv1.3"]:
        # sslyze 6.3.1 reports EMS as supported whenever TLS 1.3 is (ems_extension_plugin)
        result = await prober.run(Offer(version=top, ciphers=ALL_CIPHERS))
        scan["extended_master_secret"] = result.ems if result.ok else None
    scan["handshakes"] = opened + prober.count
    return scan


async def server_order(prober: Prober, ciphers: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    """sslyze lists suites in its own order, not the server's: the economical prober finds
    the server's order at the version the order is judged on."""
    below = [v for v in TLS_VERSIONS[1:] if ciphers.get(v)]
    version = below[0] if below else "TLSv1.3"
    if not ciphers.get(version):
        return await prober.cipher_order({})
    return await prober.cipher_order({version: await prober.ciphers(version, None)})


async def full_scan_host(name: str, addresses: list[str], port: int, *, starttls: str | None,
                         settings: Settings) -> dict[str, dict[str, Any]]:
    kind = "mail" if starttls else "web"
    scans = [await full_scan_address(a, port, name, starttls=starttls, settings=settings,
                                     kind=kind) for a in addresses]
    return dict(zip(addresses, scans, strict=True))
