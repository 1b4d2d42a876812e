"""A read-only certificate-transparency log of what the lab's CA issued, served by nginx in
its own namespace (``<prefix>ctlog``) over HTTPS as ``https://ct.labdns.nl/lab``.

The log holds, for every certificate the CA issued (as ``ct_export``), first a
precertificate entry (the TBSCertificate without the poison extension, and the
precertificate signed by the intermediate in ``extra_data``) and then the X.509 entry,
in the order a CA submits them. Everything is static files written at ``lab up``:
- ``/lab/ct/v1/get-sth``: the tree size, a real RFC 6962 root hash and a tree head
  signature by a key of the log's own;
- ``/lab/ct/v1/get-entries?start=S&end=E``: the file of entries from S on, at most
  ``BATCH`` of them, whatever E asks, so a reader meets a log's maximum batch size
  and answers shorter than asked; a start past the tree is a 400, as at real logs.
Three broken logs on the same server give the bad answers a reader must survive:
``/kapot`` (get-sth is no JSON), ``/leeg`` (get-entries answers no entries) and
``/weg`` (404 for everything).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from meting.discovery.ct import extra_data, leaf_input, precert_extra_data, precert_leaf_input
from meting.lab import netns, web
from meting.lab.ct_export import issued_chains
from meting.lab.model import CertSpec, LabPlan
from meting.lab.pki import LabCA

HOST = "ct.labdns.nl"
ZONE = "labdns.nl"
PATH = "/lab"
BATCH = 4  # the log's maximum get-entries batch (real logs: 256 to 1000)


def url() -> str:
    return f"https://{HOST}{PATH}"


def entries(plan: LabPlan, ca: LabCA) -> list[dict[str, str]]:
    """A precertificate entry and an X.509 entry for every certificate the CA issued."""
    issuer_key_hash = hashlib.sha256(ca.intermediate.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).digest()
    logged: list[dict[str, str]] = []
    for path in issued_chains(plan):
        chain = x509.load_pem_x509_certificates(path.read_bytes())
        leaf = chain[0]
        if leaf.issuer == leaf.subject:
            continue  # self-signed: no public CA would log it
        stamp = int(leaf.not_valid_before_utc.timestamp() * 1000)
        der = [c.public_bytes(Encoding.DER) for c in chain]
        logged.append(_entry(precert_leaf_input(issuer_key_hash, leaf.tbs_certificate_bytes,
                                                stamp),
                             precert_extra_data(_precertificate(leaf, ca), der[1:])))
        logged.append(_entry(leaf_input(der[0], stamp), extra_data(der[1:])))
    return logged


def _entry(leaf: bytes, extra: bytes) -> dict[str, str]:
    return {"leaf_input": base64.b64encode(leaf).decode(),
            "extra_data": base64.b64encode(extra).decode()}


def _precertificate(leaf: x509.Certificate, ca: LabCA) -> bytes:
    """The leaf as it was before issuance: the same fields and the poison extension."""
    builder = (x509.CertificateBuilder().subject_name(leaf.subject).issuer_name(leaf.issuer)
               .public_key(leaf.public_key())
               .serial_number(leaf.serial_number)
               .not_valid_before(leaf.not_valid_before_utc)
               .not_valid_after(leaf.not_valid_after_utc))
    for extension in leaf.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    builder = builder.add_extension(x509.PrecertPoison(), critical=True)
    return builder.sign(ca.intermediate_key, hashes.SHA256()).public_bytes(Encoding.DER)


def merkle_root(leaves: list[bytes]) -> bytes:
    """MTH of RFC 6962 §2.1 over the leaves (MerkleTreeLeaf bytes)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:split])
                          + merkle_root(leaves[split:])).digest()


def signed_tree_head(logged: list[dict[str, str]], key: ec.EllipticCurvePrivateKey
                     ) -> dict[str, object]:
    root = merkle_root([base64.b64decode(e["leaf_input"]) for e in logged])
    stamp = int(time.time() * 1000)
    # TreeHeadSignature (§3.5): version v1, signature_type tree_hash, then the head
    signed = (bytes([0, 1]) + stamp.to_bytes(8, "big") + len(logged).to_bytes(8, "big")
              + root)
    signature = key.sign(signed, ec.ECDSA(hashes.SHA256()))
    # DigitallySigned: hash sha256 (4), signature ecdsa (3), length, signature
    digitally = bytes([4, 3]) + len(signature).to_bytes(2, "big") + signature
    return {"tree_size": len(logged), "timestamp": stamp,
            "sha256_root_hash": base64.b64encode(root).decode(),
            "tree_head_signature": base64.b64encode(digitally).decode()}


def write_files(www: Path, logged: list[dict[str, str]]) -> None:
    """The log's static answers: the STH and one get-entries page per start index."""
    good = www / "lab"
    (good / "entries").mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    (good / "sth.json").write_text(json.dumps(signed_tree_head(logged, key)))
    for start in range(len(logged)):
        page = {"entries": logged[start:start + BATCH]}
        (good / "entries" / f"{start}.json").write_text(json.dumps(page))
    (www / "kapot").mkdir(exist_ok=True)
    (www / "kapot" / "sth.json").write_text("<html>niet beschikbaar</html>")
    (www / "leeg" / "entries").mkdir(parents=True, exist_ok=True)
    (www / "leeg" / "sth.json").write_text(json.dumps({"tree_size": 5, "timestamp": 0}))
    for start in range(5):
        (www / "leeg" / "entries" / f"{start}.json").write_text('{"entries": []}')


def nginx_conf(root: Path, addresses: list[str], chain: str, key: str) -> str:
    logs = "".join(f"""
        location = /{name}/ct/v1/get-sth {{ try_files /{name}/sth.json =404; }}
        location = /{name}/ct/v1/get-entries {{
            if ($arg_start !~ "^[0-9]+$") {{ return 400; }}
            try_files /{name}/entries/$arg_start.json =400;
        }}""" for name in ("lab", "kapot", "leeg"))
    temp = " ".join(f"{kind}_temp_path {root}/tmp/{kind};" for kind in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""user root;
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temp}
    server_tokens off;
    server {{
        {" ".join(web.listen_lines(addresses, 443, True))}
        server_name {HOST};
        ssl_certificate {chain};
        ssl_certificate_key {key};
        root {root}/www;
        default_type application/json;
        location / {{ return 404; }}{logs}
    }}
}}
"""


def configure(plan: LabPlan, state: Path, ca: LabCA) -> Path:
    root = state / "ctlog"
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    write_files(root / "www", entries(plan, ca))
    files = ca.issue([HOST], CertSpec(), root / "certs", "ctlog", ocsp=False)
    (root / "nginx.conf").write_text(nginx_conf(root, plan.ct_log, files.chain, files.key))
    return root


def start(plan: LabPlan, state: Path) -> None:
    root = state / "ctlog"
    ns = f"{plan.prefix}ctlog"
    paths = web.Paths(root)
    proc = netns.spawn_in(ns, ["nginx", "-p", str(root), "-c", str(root / "nginx.conf"),
                               "-e", str(paths.log)], paths.log)
    listening = [f"[{a}]:443" if ":" in a else f"{a}:443" for a in plan.ct_log]
    web.wait_listening(ns, listening, [proc], paths)
