"""Reading CT logs: MerkleTreeLeaf parsing on real bytes (recorded from the lab's log, and
built with ``cryptography`` as a CA and a log would), and the RFC 6962 client against a
real HTTP server on loopback that answers as real logs do: shorter than asked, longer
than asked, and wrongly."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from meting.discovery import ct
from meting.probe import ct_log, guard
from meting.probe.discovery import Pace
from meting.probe.dns import DnsClient
from meting.settings import Settings

RECORDED = Path(__file__).parent / "data" / "ct" / "ct-log-entries-0.json"
CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])


def issued(names: list[str]) -> tuple[x509.Certificate, bytes]:
    """A leaf issued by the test CA, and its precertificate (same fields, poisoned)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().issuer_name(CA_NAME)
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + dt.timedelta(days=90))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                              critical=False))
    precert = builder.add_extension(x509.PrecertPoison(), critical=True).sign(
        CA_KEY, hashes.SHA256())
    return builder.sign(CA_KEY, hashes.SHA256()), precert.public_bytes(Encoding.DER)


def logged(names: list[str]) -> list[dict[str, str]]:
    """The two entries a log holds for one certificate: precert first, then the X.509."""
    leaf, precert = issued(names)
    key_hash = hashlib.sha256(CA_KEY.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).digest()
    der = leaf.public_bytes(Encoding.DER)
    pairs = [(ct.precert_leaf_input(key_hash, leaf.tbs_certificate_bytes, 1),
              ct.precert_extra_data(precert, [])),
             (ct.leaf_input(der, 2), ct.extra_data([]))]
    return [{"leaf_input": base64.b64encode(a).decode(),
             "extra_data": base64.b64encode(b).decode()} for a, b in pairs]


def test_entries_recorded_from_the_lab_log() -> None:
    entries = json.loads(RECORDED.read_text())["entries"]
    types = [base64.b64decode(e["leaf_input"])[10:12] for e in entries]
    assert types == [b"\x00\x01", b"\x00\x00", b"\x00\x01", b"\x00\x00"]  # precert, x509
    found = ct.log_names(entries, 40, "https://ct.labdns.nl/lab")
    assert found.skipped == []
    by_entry: dict[str, set[str]] = {}
    for n in found.names:
        by_entry.setdefault(n.note, set()).add(n.name)
    assert by_entry == {
        "entry 40 of https://ct.labdns.nl/lab": {"mx-dead6.mailhost-signed.nl"},
        "entry 41 of https://ct.labdns.nl/lab": {"mx-dead6.mailhost-signed.nl"},
        "entry 42 of https://ct.labdns.nl/lab": {"mx-danefout.mailhost-signed.nl"},
        "entry 43 of https://ct.labdns.nl/lab": {"mx-danefout.mailhost-signed.nl"}}


def test_precert_names_come_from_the_logged_tbs_not_from_extra_data() -> None:
    precert_entry, x509_entry = logged(["portaal.gemeente.nl", "loket.gemeente.nl"])
    precert_entry["extra_data"] = base64.b64encode(b"\x00\x00\x00").decode()  # no chain
    found = ct.log_names([precert_entry, x509_entry], 0, "log")
    names = {(n.name, n.note) for n in found.names}
    for index in (0, 1):
        assert ("portaal.gemeente.nl", f"entry {index} of log") in names
        assert ("loket.gemeente.nl", f"entry {index} of log") in names


def test_a_precert_tbs_keeps_its_own_signature_algorithm() -> None:
    """An RSA CA's TBSCertificate is wrapped with RSA's algorithm, an EC CA's with ECDSA."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    leaf = (x509.CertificateBuilder().issuer_name(CA_NAME).subject_name(CA_NAME)
            .public_key(key.public_key()).serial_number(3).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("rsa.gemeente.nl")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    entry = {"leaf_input": base64.b64encode(ct.precert_leaf_input(
        bytes(32), leaf.tbs_certificate_bytes, 0)).decode(), "extra_data": ""}
    wrapped = x509.load_der_x509_certificate(ct.entry_certificate(entry))
    assert wrapped.signature_algorithm_oid == leaf.signature_algorithm_oid
    assert [n.name for n in ct.entry_names(entry, "x")] == ["rsa.gemeente.nl", "Test CA"]


def test_an_unreadable_log_entry_is_skipped_and_counted() -> None:
    good = logged(["a.gemeente.nl"])
    torn = dict(good[1], leaf_input=base64.b64encode(
        base64.b64decode(good[1]["leaf_input"])[:40]).decode())
    found = ct.log_names([good[0], torn, {"leaf_input": "!!"}], 7, "log")
    assert {n.name for n in found.names} == {"a.gemeente.nl"}
    assert [(i, m.key) for i, m in found.skipped] == [(8, "entry_length"),
                                                        (9, "entry_not_base64")]
    assert found.skipped[1][1].text("nl") == "leaf_input is geen base64"


# --- the client against a real server -------------------------------------------------

Answer = Callable[[str, dict[str, int]], tuple[int, bytes]]


class Log:
    """An RFC 6962 log of ``entries`` with a maximum batch, or answers of ``broken``."""

    def __init__(self, entries: list[dict[str, str]], batch: int = 3) -> None:
        self.entries, self.batch = entries, batch
        self.asked: list[tuple[int, int]] = []
        self.broken: Answer | None = None

    def answer(self, method: str, args: dict[str, int]) -> tuple[int, bytes]:
        if self.broken is not None:
            return self.broken(method, args)
        if method == "get-sth":
            return 200, json.dumps({"tree_size": len(self.entries), "timestamp": 1}).encode()
        self.asked.append((args["start"], args["end"]))
        page = self.entries[args["start"]:args["start"] + self.batch]  # may exceed `end`
        return 200, json.dumps({"entries": page}).encode()


@pytest.fixture
def log() -> Iterator[tuple[Log, str]]:
    served = Log([e for i in range(5) for e in logged([f"h{i}.gemeente.nl"])])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            args = {k: int(v[0]) for k, v in parse_qs(url.query).items()}
            prefix = "/logs/test/ct/v1/"
            status, body = (served.answer(url.path.removeprefix(prefix), args)
                            if url.path.startswith(prefix) else (404, b""))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the timeout case: the client hung up before the late answer

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/logs/test/"
    finally:
        server.shutdown()
        server.server_close()


def read(url: str, max_entries: int = 100, batch: int = 4,
         allowed: str = "127.0.0.0/8", timeout: float = 5) -> ct_log.LogRead:
    settings = Settings(allowed_networks=allowed)
    client = ct_log.LogClient(DnsClient(settings), Pace(1000), timeout, max_entries, batch,
                              ct_log.trust(""))

    async def run() -> ct_log.LogRead:
        with guard.allowing(settings):
            return await ct_log.read_log(url, client)
    return asyncio.run(run())


def test_short_answers_are_continued_and_long_ones_cut(log: tuple[Log, str]) -> None:
    served, url = log
    result = read(url, batch=4)  # the log gives 3 a time; asked for 4
    assert result.tree_size == 10 and result.first == 0 and not result.cut
    assert result.entries == served.entries
    assert served.asked == [(0, 3), (3, 6), (6, 9), (9, 9)]
    assert result.requests == 5
    served.asked.clear()
    result = read(url, batch=2)  # asked for 2, the log gives 3: the third is dropped
    assert result.entries == served.entries
    assert served.asked == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]


def test_the_bound_reads_the_newest_entries(log: tuple[Log, str]) -> None:
    served, url = log
    result = read(url, max_entries=4)
    assert result.cut and result.first == 6 and result.entries == served.entries[6:]


@pytest.mark.parametrize(("answer", "reason"), [
    (lambda m, a: (500, b"oops"), "status"),
    (lambda m, a: (200, b"<html>"), "not_json"),
    (lambda m, a: (200, b'{"tree_size": "ten"}'), "bad_sth"),
    (lambda m, a: (200, b'{"tree_size": 3}' if m == "get-sth" else b'{"entries": []}'),
     "no_entries"),
    (lambda m, a: (200, b'{"tree_size": 3}' if m == "get-sth" else b'{"rows": []}'),
     "bad_entries"),
    (lambda m, a: (time.sleep(1.5), (200, b"{}"))[1], "timeout"),
])
def test_bad_answers_are_one_reason(log: tuple[Log, str], answer: Answer,
                                    reason: str) -> None:
    served, url = log
    served.broken = answer
    with pytest.raises(ct_log.LogError) as caught:
        read(url, timeout=0.5)
    assert caught.value.reason == reason


def test_loopback_is_refused_unless_allowed(log: tuple[Log, str]) -> None:
    _served, url = log
    with pytest.raises(ct_log.LogError) as caught:
        read(url, allowed="")
    assert (caught.value.reason, caught.value.values["kind"]) == ("refused", "loopback")


@pytest.mark.parametrize("url", ["ftp://ct.example/", "not a url", "https:///ct"])
def test_a_bad_log_url_is_one_reason(url: str) -> None:
    with pytest.raises(ct_log.LogError) as caught:
        read(url)
    assert caught.value.reason == "bad_url"
