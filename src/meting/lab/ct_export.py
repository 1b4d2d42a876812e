"""A certificate-transparency export of every certificate the lab's CA issued, in the two
formats discovery reads: crt.sh's JSON (``ct/crtsh.json``) and an RFC 6962 log's
``get-entries`` answer (``ct/get-entries.json``), as a log that had logged them would
give them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from meting.discovery.ct import certificate_names, extra_data, leaf_input
from meting.lab.model import LabPlan


def issued_chains(plan: LabPlan) -> list[Path]:
    chains = {files.chain for ws in plan.web_servers.values() for files in ws.certs.values()}
    chains |= {ms.certs.chain for ms in plan.mail_servers.values() if ms.certs is not None}
    return sorted(Path(c) for c in chains)


def write(plan: LabPlan, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    crtsh: list[dict[str, object]] = []
    entries: list[dict[str, str]] = []
    for number, path in enumerate(issued_chains(plan), start=1):
        chain = x509.load_pem_x509_certificates(path.read_bytes())
        leaf = chain[0]
        if leaf.issuer == leaf.subject:
            continue  # self-signed: no public CA would log it
        cn = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        crtsh.append({"id": number, "issuer_name": leaf.issuer.rfc4514_string(),
                      "common_name": str(cn[0].value) if cn else "",
                      "name_value": "\n".join(dict.fromkeys(certificate_names(leaf))),
                      "serial_number": format(leaf.serial_number, "x"),
                      "not_before": leaf.not_valid_before_utc.isoformat(),
                      "not_after": leaf.not_valid_after_utc.isoformat()})
        stamp = int(leaf.not_valid_before_utc.timestamp() * 1000)
        der = [c.public_bytes(Encoding.DER) for c in chain]
        entries.append({"leaf_input": base64.b64encode(leaf_input(der[0], stamp)).decode(),
                        "extra_data": base64.b64encode(extra_data(der[1:])).decode()})
    files = {"crtsh": out / "crtsh.json", "get-entries": out / "get-entries.json"}
    files["crtsh"].write_text(json.dumps(crtsh, indent=1))
    files["get-entries"].write_text(json.dumps({"entries": entries}))
    return files
