"""Reachability of lab endpoints, run inside the scanner namespace.

Reads a JSON list of keys on standard input (``dns:ADDR`` — answers a DNS query;
``tcp:ADDR:PORT`` — accepts a TCP connection) and prints a JSON object mapping
each key to true or false.
"""

from __future__ import annotations

import asyncio
import json
import sys

import dns.asyncquery
import dns.exception
import dns.message

TIMEOUT = 3.0


async def tcp_ok(address: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), TIMEOUT)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def dns_ok(address: str) -> bool:
    query = dns.message.make_query(".", "SOA")
    try:
        await dns.asyncquery.udp(query, address, timeout=TIMEOUT)
    except (OSError, dns.exception.DNSException):
        return False
    return True


async def check(key: str) -> bool:
    kind, rest = key.split(":", 1)
    if kind == "dns":
        return await dns_ok(rest)
    address, port = rest.rsplit(":", 1)
    return await tcp_ok(address, int(port))


async def check_all(keys: list[str]) -> dict[str, bool]:
    results = await asyncio.gather(*(check(k) for k in keys))
    return dict(zip(keys, results, strict=True))


def main() -> None:
    keys = json.load(sys.stdin)
    print(json.dumps(asyncio.run(check_all(keys))))


if __name__ == "__main__":
    main()
