"""The lab's routing data: validated ROA payloads and a route table for its networks.

Written in the formats real tools export, so that meting reads the lab's data the
way it reads the real thing: VRPs as the JSON of rpki-client / Routinator
(``{"roas": [{"asn", "prefix", "maxLength", "ta"}]}``) and routes as a RIS whois
dump (``origin-AS <TAB> prefix <TAB> seen-by-peers``).
"""

from __future__ import annotations

import json
from pathlib import Path

from meting.lab.model import Network

TRUST_ANCHOR = "meting-lab"


def vrps(networks: list[Network]) -> dict[str, list[dict[str, object]]]:
    roas: list[dict[str, object]] = []
    for net in networks:
        if net.roa == "none":
            continue
        asn = net.origin_asn if net.roa == "valid" else net.roa_asn
        for prefix in (net.ipv4_prefix, net.ipv6_prefix):
            length = int(prefix.split("/")[1])
            roas.append({"asn": f"AS{asn}", "prefix": prefix, "maxLength": length,
                         "ta": TRUST_ANCHOR})
    return {"roas": roas}


def ris_dump(networks: list[Network]) -> str:
    lines = ["% meting lab route table, RIS whois dump format",
             "% origin-AS\tprefix\tseen-by-peers"]
    for net in networks:
        for prefix in (net.ipv4_prefix, net.ipv6_prefix):
            lines.append(f"{net.origin_asn}\t{prefix}\t100")
    return "\n".join(lines) + "\n"


def write(networks: list[Network], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    vrp_path, ris_path = directory / "vrps.json", directory / "riswhoisdump.txt"
    vrp_path.write_text(json.dumps(vrps(networks), indent=1))
    ris_path.write_text(ris_dump(networks))
    return vrp_path, ris_path
