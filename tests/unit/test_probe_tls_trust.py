"""Trust of a presented chain (``tls_trust.verify_chain``): verified against the store,
and a verdict reused for the same chain within a minute only while no certificate of
chain or store starts or ends."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from meting.probe import tls_trust
from meting.probe.tls_trust import verify_chain

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
HOST = "www.voorbeeld.nl"


def issue(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
          signer: ec.EllipticCurvePrivateKey, ends: dt.datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    ca = issuer is None
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(ends)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=False, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                   crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    if issuer is not None:
        builder = (builder
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                  False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       signer.public_key()), False))
    return builder.sign(signer, hashes.SHA256())


def der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def test_a_verdict_is_reused_only_while_nothing_expires(tmp_path: Path) -> None:
    tls_trust._verdicts.clear()
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    root = issue("Lab CA", ca_key, None, ca_key, NOW + dt.timedelta(days=365))
    leaf_ends = NOW + dt.timedelta(seconds=30)
    leaf = issue(HOST, leaf_key, root, ca_key, leaf_ends)
    store = tmp_path / "roots.pem"
    store.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    chain = [der(leaf)]

    first = verify_chain(chain, str(store), NOW)
    assert first == {"trusted": True, "error": None, "store": str(store)}
    assert (tuple(chain), str(store)) in tls_trust._verdicts  # kept for the next scan
    first["trusted"] = False  # what a caller does with its copy stays its own
    assert verify_chain(chain, str(store), NOW + dt.timedelta(seconds=20))["trusted"]
    # 40 s after the verdict, within the minute, but the leaf expired in between
    expired = verify_chain(chain, str(store), NOW + dt.timedelta(seconds=40))
    assert expired["trusted"] is False and expired["error"]
    # and a verdict is never carried back in time or past the minute
    assert verify_chain(chain, str(store), NOW)["trusted"]
    later = issue(HOST, leaf_key, root, ca_key, NOW + dt.timedelta(days=90))
    assert verify_chain([der(later)], str(store), NOW)["trusted"]
    assert not verify_chain([der(later)], str(store), NOW + dt.timedelta(days=91))["trusted"]


def test_an_untrusted_chain_is_said_so(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    other = issue("Other CA", key, None, key, NOW + dt.timedelta(days=365))
    stranger = issue("Stranger CA", key, None, key, NOW + dt.timedelta(days=365))
    leaf = issue(HOST, key, stranger, key, NOW + dt.timedelta(days=90))
    store = tmp_path / "roots.pem"
    store.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    found = verify_chain([der(leaf)], str(store), NOW)
    assert found["trusted"] is False and found["error"]
    assert verify_chain([], str(store), NOW)["error"] == "no certificate presented"
