"""How fast this machine is while a benchmark runs: the CPU time of a fixed piece of a
round's kind of work, sampled throughout the round, so that its figures can be read
across hours and machines.

The machines these benchmarks run on are shared, and their speed moves fast: on an idle
machine, the same small piece of work took 57 to 112 ms of CPU from one second to the
next, and the same round on the same code took a third more CPU per domain in the
afternoon than in the morning. A gauge taken once before a round says little about the
round; ``Gauge`` runs a small piece every second during the round in a thread of the
benchmark (about 2% of one core) and reports the mean, which integrates the machine's
speed over the same minutes as the round's CPU does. Dividing a round's CPU per domain
by it gives a figure that moves less between hours (bench/round.py prints both).

The work: TLS handshakes (client and server in memory, OpenSSL through Python's ssl
module, an RSA-2048 certificate as most of the lab's and the government's servers
have), DNS answers parsed by dnspython and evidence-like JSON encoded: the three kinds
of work that dominate a round's profile. No network, no files, and no meting code, so
the gauge does not change when meting does.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import dns.message
import dns.rrset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HANDSHAKES = 5  # one piece of work: about 30 ms of CPU on the machine of docs/speed-cpu.md
ANSWERS = 20
DOCUMENTS = 30
EVERY = 1.0  # seconds between pieces


class Gauge:
    """Pieces of fixed work in a thread, one every ``EVERY`` seconds, until stopped."""

    def __init__(self) -> None:
        self.server, self.client = contexts()
        self.answer, self.document = dns_answer(), evidence_like()
        self.samples: list[float] = []  # CPU milliseconds of each piece
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> float:
        """The mean CPU milliseconds of a piece."""
        self._stop.set()
        self._thread.join()
        return statistics.fmean(self.samples)

    def _run(self) -> None:
        while True:
            self.samples.append(self.piece())
            if self._stop.wait(EVERY):
                return

    def piece(self) -> float:
        started = time.thread_time()  # this thread's CPU only, not the benchmark's others
        for _ in range(HANDSHAKES):
            handshake(self.server, self.client)
        for _ in range(ANSWERS):
            dns.message.from_wire(self.answer)
        for _ in range(DOCUMENTS):
            json.dumps(self.document)
        return (time.thread_time() - started) * 1000


def contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.voorbeeld.nl")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        server.load_cert_chain(cert_file, key_file)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    return server, client


def handshake(server_context: ssl.SSLContext, client_context: ssl.SSLContext) -> None:
    """One full handshake, the bytes carried between two in-memory ends."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(c_in, c_out, server_hostname="www.voorbeeld.nl")
    server = server_context.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    while not all(done.values()):
        for side, end in (("client", client), ("server", server)):
            if not done[side]:
                try:
                    end.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())


def dns_answer() -> bytes:
    """A signed answer with a handful of records, as a validating resolver gives."""
    query = dns.message.make_query("www.voorbeeld.nl", "A", want_dnssec=True)
    response = dns.message.make_response(query)
    response.answer.append(dns.rrset.from_text(
        "www.voorbeeld.nl.", 3600, "IN", "A", "198.51.100.10", "198.51.100.11"))
    response.answer.append(dns.rrset.from_text(
        "www.voorbeeld.nl.", 3600, "IN", "RRSIG",
        "A 13 3 3600 20270101000000 20261201000000 12345 voorbeeld.nl. " + "A" * 88))
    response.authority.append(dns.rrset.from_text(
        "voorbeeld.nl.", 3600, "IN", "NS", "ns1.voorbeeld.nl.", "ns2.voorbeeld.nl."))
    return response.to_wire()


def evidence_like() -> dict[str, object]:
    return {"tls": {f"198.51.100.{i}": {"versions": {"TLSv1.3": True, "TLSv1.2": True},
                                         "ciphers": {"good": ["TLS_AES_256_GCM_SHA384"]},
                                         "chain": ["MII" + "A" * 1200] * 2}
                    for i in range(4)},
            "dns": [{"name": f"n{i}.voorbeeld.nl", "answers": ["198.51.100.1"] * 3}
                    for i in range(20)]}


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30
    gauge = Gauge()
    gauge.start()
    time.sleep(seconds)
    mean = gauge.stop()
    print(f"speed gauge {mean:.1f} ms of CPU per piece, mean of {len(gauge.samples)} "
          f"({min(gauge.samples):.1f} to {max(gauge.samples):.1f})")
