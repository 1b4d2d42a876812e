"""The lab's private CA on its own: chains, certificate kinds, OCSP, speed."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from meting.lab.model import CertFiles, CertSpec
from meting.lab.pki import WRONG_NAME, LabCA, tlsa_rdata

NAMES = ["example.test", "www.example.test"]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LabCA:
    return LabCA.load_or_create(tmp_path_factory.mktemp("ca"))


def chain(files: CertFiles) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(Path(files.chain).read_bytes())


def verify(ca: LabCA, files: CertFiles, name: str = "example.test") -> None:
    certs = chain(files)
    store = Store([x509.load_pem_x509_certificate(ca.root_pem.read_bytes())])
    verifier = (PolicyBuilder().store(store).time(dt.datetime.now(dt.UTC))
                .build_server_verifier(x509.DNSName(name)))
    verifier.verify(certs[0], certs[1:])


def test_reload_keeps_the_same_ca(ca: LabCA) -> None:
    again = LabCA.load_or_create(ca.directory)
    assert again.root == ca.root and again.intermediate == ca.intermediate
    assert (ca.directory / "intermediate.pem").is_file()


def test_valid_chain_verifies_with_ocsp(ca: LabCA, tmp_path: Path) -> None:
    files = ca.issue(NAMES, CertSpec(), tmp_path, "valid")
    verify(ca, files)
    verify(ca, files, "www.example.test")
    leaf = chain(files)[0]
    assert len(chain(files)) == 2
    assert files.ocsp is not None
    response = ocsp.load_der_ocsp_response(Path(files.ocsp).read_bytes())
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == leaf.serial_number
    assert response.next_update_utc is not None
    assert response.next_update_utc - response.this_update_utc > dt.timedelta(days=6)
    der = leaf.public_bytes(serialization.Encoding.DER)
    assert files.leaf_der_sha256 == hashlib.sha256(der).hexdigest()
    assert tlsa_rdata(files) == f"3 1 1 {files.spki_sha256}"
    assert tlsa_rdata(files, selector=0) == f"3 0 1 {files.leaf_der_sha256}"


@pytest.mark.parametrize("kind", ["expired", "self_signed", "wrong_name"])
def test_bad_kinds_do_not_verify(ca: LabCA, tmp_path: Path, kind: str) -> None:
    files = ca.issue(NAMES, CertSpec(kind=kind), tmp_path, kind)  # type: ignore[arg-type]
    with pytest.raises(VerificationError):
        verify(ca, files)
    leaf = chain(files)[0]
    if kind == "self_signed":
        assert len(chain(files)) == 1 and files.ocsp is None
        assert leaf.issuer == leaf.subject
    if kind == "wrong_name":
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == [WRONG_NAME]
    if kind == "expired":
        assert leaf.not_valid_after_utc < dt.datetime.now(dt.UTC)


def test_sha1_is_signed_by_the_intermediate(ca: LabCA, tmp_path: Path) -> None:
    files = ca.issue(NAMES, CertSpec(kind="sha1", key="rsa2048"), tmp_path, "sha1",
                     key_pem=ca.key_for("rsa2048", tmp_path / "rsa.pem"))
    leaf = chain(files)[0]
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA1)
    assert leaf.issuer == ca.intermediate.subject
    argv = ["openssl", "verify", "-CAfile", str(ca.root_pem), "-untrusted", files.chain]
    lax = subprocess.run([*argv, "-auth_level", "0", files.chain], capture_output=True)
    strict = subprocess.run([*argv, "-auth_level", "1", files.chain], capture_output=True)
    assert lax.returncode == 0 and strict.returncode != 0
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.intermediate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest


def test_keys_are_reused(ca: LabCA, tmp_path: Path) -> None:
    key = ca.key_for("rsa3072", tmp_path / "k.pem")
    assert ca.key_for("rsa3072", tmp_path / "k.pem") == key
    one = ca.issue(["a.test"], CertSpec(key="rsa3072"), tmp_path, "one", key_pem=key)
    two = ca.issue(["b.test"], CertSpec(key="rsa3072"), tmp_path, "two", key_pem=key)
    assert one.spki_sha256 == two.spki_sha256
    assert one.leaf_der_sha256 != two.leaf_der_sha256


def test_thousand_certificates_issue_quickly(ca: LabCA, tmp_path: Path) -> None:
    key = ca.key_for("ec256", tmp_path / "ec.pem")
    started = time.monotonic()
    for index in range(1000):
        ca.issue([f"site{index}.test"], CertSpec(), tmp_path / "many", f"s{index}",
                 key_pem=key)
    print(f"1000 certificates with OCSP: {time.monotonic() - started:.2f} s")
