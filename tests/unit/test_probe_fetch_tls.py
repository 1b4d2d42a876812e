"""HTTPS fetches through nassl (probe/fetch_tls.py) against real TLS servers on loopback
(Python's ssl, OpenSSL 3): they accept what Python's default client accepts, send the
name in SNI, answer a request for a client certificate with none, and read answers
that span many TLS records."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum

from meting.probe import guard
from meting.probe.fetch_tls import CIPHERS, FetchClient
from meting.probe.http import HttpResponse, fetch
from meting.settings import Settings
from tests.unit.tls_server import server_context

Setup = Callable[[ssl.SSLContext], None]


def serve(folder: Path, setup: Setup, body: bytes = b"ok", *, host: str = "www.voorbeeld.nl",
          limit: int = 1024) -> tuple[HttpResponse, list[str | None]]:
    """One fetch from a server whose context ``setup`` changes; the names it saw in SNI."""
    names: list[str | None] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    async def run() -> HttpResponse:
        context = server_context(folder)
        context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
        setup(context)
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        async with server:
            with guard.allowing(Settings(allowed_networks="127.0.0.1/32")):
                return await fetch("127.0.0.1", host, tls=True, port=port, timeout=5,
                                   limit=limit)

    return asyncio.run(run()), names


def only(version: ssl.TLSVersion) -> Setup:
    def setup(context: ssl.SSLContext) -> None:
        context.set_ciphers("ALL:@SECLEVEL=0")
        context.minimum_version = context.maximum_version = version
    return setup


def python_client_accepts(folder: Path, setup: Setup) -> bool:
    """Whether Python's default client completes a handshake with such a server."""
    async def run() -> bool:
        context = server_context(folder)
        setup(context)
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0,
                                            ssl=context)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        async with server:
            try:
                _, writer = await asyncio.open_connection(
                    "127.0.0.1", server.sockets[0].getsockname()[1], ssl=client,
                    server_hostname="www.voorbeeld.nl")
            except (ssl.SSLError, ConnectionError):
                return False
            writer.close()
            return True
    return asyncio.run(run())


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls12_and_tls13_servers_answer_with_the_name_in_sni(tmp_path: Path,
                                                              version: ssl.TLSVersion) -> None:
    response, names = serve(tmp_path, only(version))
    assert (response.status, response.body, response.failure) == (200, "ok", "")
    assert names == ["www.voorbeeld.nl"]


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_versions_below_tls12_are_refused_as_pythons_client_refuses_them(
        tmp_path: Path, version: ssl.TLSVersion) -> None:
    assert not python_client_accepts(tmp_path, only(version))
    response, _ = serve(tmp_path, only(version))
    assert (response.status, response.failure) == (0, "tls")
    assert response.error


def test_the_suites_offered_are_those_of_pythons_default_client() -> None:
    client = FetchClient(ssl_version=OpenSslVersionEnum.SSLV23,
                         ssl_verify=OpenSslVerifyEnum.NONE)
    client.set_cipher_list(CIPHERS)
    default = [c["name"] for c in ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).get_ciphers()]
    assert client._ssl.get_cipher_list() == default


def test_a_request_for_a_client_certificate_is_answered_with_none(tmp_path: Path) -> None:
    def ask(context: ssl.SSLContext) -> None:
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(tmp_path / "cert.pem")
    response, _ = serve(tmp_path, ask)
    assert (response.status, response.body) == (200, "ok")


def test_an_address_as_host_is_not_sent_in_sni(tmp_path: Path) -> None:
    response, names = serve(tmp_path, only(ssl.TLSVersion.TLSv1_3), host="127.0.0.1")
    assert response.status == 200
    assert names == [None]


@pytest.mark.parametrize(("limit", "truncated"), [(200_000, False), (50_000, True)])
def test_an_answer_over_many_records_is_read_up_to_the_bound(
        tmp_path: Path, limit: int, truncated: bool) -> None:
    body = bytes(range(97, 123)) * 4000  # 104,000 bytes: seven TLS records at least
    response, _ = serve(tmp_path, only(ssl.TLSVersion.TLSv1_3), body, limit=limit)
    assert response.status == 200 and response.truncated is truncated
    assert response.body == body[:limit].decode()
