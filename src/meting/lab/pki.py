"""The lab's private PKI: a root CA, an intermediate CA, leaf certificates, OCSP.

The root certificate (``root.pem``) is the trust store the scanner is given. Leaf
certificates are issued by the intermediate (EC P-256, SHA-256), which keeps
issuing fast; keys may be shared between many certificates (``key_for``), since
RSA key generation is slow and the lab issues thousands of certificates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from meting.lab.model import CertFiles, CertSpec, KeyKind

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

CA_YEARS = 20
LEAF_DAYS = 398
OCSP_DAYS = 7
WRONG_NAME = "wrong-name.invalid"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def new_key(kind: KeyKind) -> PrivateKey:
    if kind == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    bits = 2048 if kind == "rsa2048" else 3072
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def key_to_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("lab keys are EC or RSA")
    return key


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Meting Lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _general_name(name: str) -> x509.GeneralName:
    """A host name, or an address for a server reached by address (the mail relay)."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _ca_cert(subject: str, key: PrivateKey, issuer: x509.Certificate | None,
             issuer_key: PrivateKey, path_length: int | None) -> x509.Certificate:
    now = _now()
    issuer_name = issuer.subject if issuer else _name(subject)
    aki_key = issuer_key.public_key()
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=2))
               .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                            False, False), True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_key),
                              False))
    return builder.sign(issuer_key, hashes.SHA256())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class LabCA:
    """A root and an intermediate CA kept as PEM files in ``directory``."""

    directory: Path
    root: x509.Certificate
    root_key: PrivateKey
    intermediate: x509.Certificate
    intermediate_key: PrivateKey

    @property
    def root_pem(self) -> Path:
        return self.directory / "root.pem"

    @property
    def intermediate_pem(self) -> Path:
        return self.directory / "intermediate.pem"

    @classmethod
    def load_or_create(cls, directory: Path) -> LabCA:
        directory.mkdir(parents=True, exist_ok=True)
        files = [directory / n for n in ("root.pem", "root.key.pem", "intermediate.pem",
                                         "intermediate.key.pem")]
        if all(f.is_file() for f in files):
            return cls(directory, x509.load_pem_x509_certificate(files[0].read_bytes()),
                       load_key(files[1].read_bytes()),
                       x509.load_pem_x509_certificate(files[2].read_bytes()),
                       load_key(files[3].read_bytes()))
        return cls._create(directory, files)

    @classmethod
    def _create(cls, directory: Path, files: list[Path]) -> LabCA:
        root_key, inter_key = new_key("ec256"), new_key("ec256")
        root = _ca_cert("Meting Lab Root CA", root_key, None, root_key, None)
        inter = _ca_cert("Meting Lab Intermediate CA", inter_key, root, root_key, 0)
        for path, data in zip(files, (_cert_pem(root), key_to_pem(root_key), _cert_pem(inter),
                                      key_to_pem(inter_key)), strict=True):
            path.write_bytes(data)
        for key_file in (files[1], files[3]):
            key_file.chmod(0o600)
        return cls(directory, root, root_key, inter, inter_key)

    def key_for(self, kind: KeyKind, path: Path) -> bytes:
        """The PEM key at ``path``, created (of this kind) if it does not exist yet."""
        if path.is_file():
            return path.read_bytes()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key_to_pem(new_key(kind))
        path.write_bytes(pem)
        path.chmod(0o600)
        return pem

    def issue(self, names: list[str], spec: CertSpec, out_dir: Path, stem: str,
              key_pem: bytes | None = None, ocsp: bool = True) -> CertFiles:
        """Issue a leaf for ``names`` as ``spec`` says; write chain, key and OCSP files."""
        if not names:
            raise ValueError("a certificate needs at least one name")
        out_dir.mkdir(parents=True, exist_ok=True)
        key = load_key(key_pem) if key_pem else new_key(spec.key)
        leaf = self._leaf(names, spec, key)
        chain = _cert_pem(leaf)
        if spec.kind != "self_signed":
            chain += _cert_pem(self.intermediate)
        files = CertFiles(chain=str(out_dir / f"{stem}.chain.pem"),
                          key=str(out_dir / f"{stem}.key.pem"),
                          leaf_der_sha256=_sha256(leaf.public_bytes(serialization.Encoding.DER)),
                          spki_sha256=_sha256(_spki_der(leaf)))
        Path(files.chain).write_bytes(chain)
        Path(files.key).write_bytes(key_pem or key_to_pem(key))
        if ocsp and spec.kind != "self_signed":
            files.ocsp = str(out_dir / f"{stem}.ocsp.der")
            Path(files.ocsp).write_bytes(self.ocsp_response(leaf))
        return files

    def _leaf(self, names: list[str], spec: CertSpec, key: PrivateKey) -> x509.Certificate:
        now = _now()
        sans = [WRONG_NAME] if spec.kind == "wrong_name" else names
        if spec.kind == "expired":
            start, end = now - dt.timedelta(days=400), now - dt.timedelta(days=30)
        else:
            start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=LEAF_DAYS)
        # SHA-1: self-signed template (cryptography refuses SHA-1), re-signed by openssl.
        self_signed = spec.kind in ("self_signed", "sha1")
        issuer = _name(sans[0]) if self_signed else self.intermediate.subject
        signer = key if self_signed else self.intermediate_key
        aki_key = signer.public_key()
        is_rsa = isinstance(key, rsa.RSAPrivateKey)
        builder = (x509.CertificateBuilder()
                   .subject_name(_name(sans[0])).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                   .add_extension(x509.KeyUsage(True, False, is_rsa, False, False, False,
                                                False, False, False), True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                  False)
                   .add_extension(x509.SubjectAlternativeName(
                       [_general_name(n) for n in sans]), False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                  False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_key),
                                  False))
        cert = builder.sign(signer, hashes.SHA256())
        return self._resign_sha1(cert) if spec.kind == "sha1" else cert

    def _resign_sha1(self, template: x509.Certificate) -> x509.Certificate:
        """Have ``openssl x509`` re-sign a self-signed template with SHA-1 by the intermediate."""
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "template.pem"
            src.write_bytes(_cert_pem(template))
            serial = f"0x{x509.random_serial_number():x}"
            ext = Path(tmp) / "ext.cnf"
            ext.write_text("[v3]\nauthorityKeyIdentifier = keyid:always\n")
            result = subprocess.run(
                ["openssl", "x509", "-in", str(src), "-CA", str(self.intermediate_pem),
                 "-CAkey", str(self.directory / "intermediate.key.pem"), "-sha1",
                 "-preserve_dates", "-set_serial", serial, "-extfile", str(ext),
                 "-extensions", "v3"],
                check=True, capture_output=True)
        return x509.load_pem_x509_certificate(result.stdout)

    def ocsp_response(self, leaf: x509.Certificate, days: int = OCSP_DAYS) -> bytes:
        """A DER OCSP response saying ``leaf`` is good, signed by the intermediate."""
        now = _now()
        builder = (ocsp.OCSPResponseBuilder()
                   .add_response(cert=leaf, issuer=self.intermediate, algorithm=hashes.SHA1(),
                                 cert_status=ocsp.OCSPCertStatus.GOOD,
                                 this_update=now - dt.timedelta(hours=1),
                                 next_update=now + dt.timedelta(days=days),
                                 revocation_time=None, revocation_reason=None)
                   .responder_id(ocsp.OCSPResponderEncoding.HASH, self.intermediate))
        response = builder.sign(self.intermediate_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)


def _spki_der(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ca_tlsa_rdata(ca_cert: x509.Certificate) -> str:
    """DANE-TA record data (2 1 1) for a CA certificate the servers present."""
    return f"2 1 1 {_sha256(_spki_der(ca_cert))}"


def tlsa_rdata(cert: CertFiles, usage: int = 3, selector: int = 1, mtype: int = 1) -> str:
    """TLSA record data for a leaf (SHA-256 only: matching type 1)."""
    if mtype != 1:
        raise ValueError("only matching type 1 (SHA-256) is kept")
    digest = cert.spki_sha256 if selector == 1 else cert.leaf_der_sha256
    return f"{usage} {selector} {mtype} {digest}"
