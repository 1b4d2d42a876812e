"""Reading a certificate-transparency log over its RFC 6962 (v1) API: ``get-sth`` for the
tree size, then ``get-entries`` in batches.

What real logs do and how it is met:
- a log answers fewer entries than asked (it has a maximum batch size of its own): the
  next request starts after the last entry received;
- a log never needs to answer more than asked: extra entries are dropped;
- the tree is large: at most ``max_entries`` entries are read per run, the newest ones
  (``first`` says where the read began, ``cut`` that older entries were left unread).

Every connection passes the guard: the log's host name is resolved by the configured
resolver, and only addresses that ``guard.kind_of`` allows are connected to (the host
name stays in SNI, the Host header and the certificate check). Requests are paced like
the other discovery traffic (``Pace``) and hold a politeness slot of the address.
A failure raises ``LogError`` with a reason key and its values, never a traceback; the
discovery layer words it in Dutch and English. The STH's signature is not verified:
discovery only takes names from the entries and never vouches for the log.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx

from meting.probe import guard, politeness
from meting.probe.discovery import Pace
from meting.probe.dns import DnsClient

MAX_ANSWER_BYTES = 32 * 2**20  # one get-sth or get-entries answer, at most


class LogError(Exception):
    """A log that cannot be read; ``reason`` names the case, ``values`` fill its text."""

    def __init__(self, reason: str, **values: Any) -> None:
        super().__init__(f"{reason}: {values}")
        self.reason, self.values = reason, values


@dataclass
class LogRead:
    url: str
    tree_size: int = 0
    first: int = 0  # index of the first entry read
    entries: list[dict[str, Any]] = field(default_factory=list)  # from index ``first`` on
    requests: int = 0
    cut: bool = False  # max_entries left older entries unread


@dataclass(frozen=True)
class LogClient:
    """How to reach logs: the resolver, the pace, the bounds and the CAs trusted."""

    dns: DnsClient
    pace: Pace
    timeout: float
    max_entries: int
    batch: int
    tls: ssl.SSLContext


def trust(trust_store: str) -> ssl.SSLContext:
    """The CAs a log's certificate must chain to: the trust store's, or the system's."""
    return ssl.create_default_context(cafile=trust_store or None)


async def read_log(url: str, client: LogClient) -> LogRead:
    """The newest ``client.max_entries`` entries of the log at ``url`` (its base URL)."""
    base = _base(url)
    addresses = await _addresses(base.host, client.dns)
    async with httpx.AsyncClient(verify=client.tls, timeout=client.timeout,
                                 follow_redirects=False) as http:
        log = _Log(base, addresses, http, client)
        sth = await log.get("get-sth", {})
        size = sth.get("tree_size") if isinstance(sth, dict) else None
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise LogError("bad_sth", url=url)
        result = LogRead(url, tree_size=size, first=max(0, size - client.max_entries))
        result.cut = result.first > 0
        start = result.first
        while start < size:
            end = min(start + client.batch, size) - 1
            got = _entries(await log.get("get-entries", {"start": start, "end": end}), url,
                           start)[:end - start + 1]  # a log may answer more than asked
            result.entries += got
            start += len(got)
        result.requests = log.requests
    return result


def _base(url: str) -> httpx.URL:
    try:
        base = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise LogError("bad_url", url=url) from None
    if base.scheme not in ("https", "http") or not base.host:
        raise LogError("bad_url", url=url)
    return base


async def _addresses(host: str, dns: DnsClient) -> list[str]:
    """The log host's addresses that may be connected to; LogError when there are none."""
    try:
        found = [str(ipaddress.ip_address(host))]
    except ValueError:
        found = [a for rtype in ("A", "AAAA") for a in (await dns.query(host, rtype)).answers]
    if not found:
        raise LogError("no_address", host=host)
    allowed = [a for a in found if guard.kind_of(a) is None]
    if not allowed:
        raise LogError("refused", host=host, address=found[0],
                       kind=guard.kind_of(found[0]) or "special")
    return allowed


class _Log:
    def __init__(self, base: httpx.URL, addresses: list[str], http: httpx.AsyncClient,
                 client: LogClient) -> None:
        self.base, self.addresses, self.http, self.client = base, addresses, http, client
        self.requests = 0

    async def get(self, method: str, params: dict[str, int]) -> Any:
        """One API call's JSON; the next address is tried when one cannot be reached."""
        path = self.base.path.rstrip("/") + "/ct/v1/" + method
        shown = str(self.base.copy_with(path=path, params=params))
        failure = LogError("no_address", host=self.base.host)
        for address in self.addresses:
            try:
                return await self._ask(address, path, params, shown)
            except httpx.TimeoutException:
                failure = LogError("timeout", url=shown, seconds=self.client.timeout)
            except (httpx.TransportError, guard.AddressRefused) as exc:
                failure = LogError("unreachable", url=shown, address=address,
                                   error=str(exc) or type(exc).__name__)
        raise failure

    async def _ask(self, address: str, path: str, params: dict[str, int], shown: str) -> Any:
        guard.check(address)
        target = self.base.copy_with(host=address, path=path, params=params)
        host = self.base.netloc.decode("ascii")
        await self.client.pace.wait()
        self.requests += 1
        async with politeness.slot(address), self.http.stream(
                "GET", target, headers={"Host": host, "Accept": "application/json"},
                extensions={"sni_hostname": self.base.host}) as response:
            if response.status_code != 200:
                raise LogError("status", url=shown, status=response.status_code)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise LogError("too_large", url=shown, limit=MAX_ANSWER_BYTES)
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise LogError("not_json", url=shown) from None


def _entries(answer: Any, url: str, start: int) -> list[dict[str, Any]]:
    entries = answer.get("entries") if isinstance(answer, dict) else None
    if not isinstance(entries, list):
        raise LogError("bad_entries", url=url, start=start)
    if not entries:
        raise LogError("no_entries", url=url, start=start)
    return entries
