"""The TLS of an HTTPS fetch (``probe/http.py``): nassl's modern client, set up to accept
what Python's default client accepts.

The fetches used Python's ``ssl`` through asyncio's streams. That links the system's
OpenSSL 3.0, whose handshake cost this process about twice the CPU of the same
handshake through nassl's OpenSSL 1.1.1 on the event loop (3.5 against 1.8 ms per fetch,
connection and request included), and a web test makes several fetches per address.

What the server sees and may answer is kept as it was. The client offers what
``ssl.SSLContext(PROTOCOL_TLS_CLIENT)`` offers on Python 3.11 with OpenSSL 3.0:
- TLS 1.2 or 1.3;
- the same suites, in the same order, at security level 2;
- no certificate check (trust is judged by the TLS checks from their own evidence);
- no client certificate when a server asks for one.
Like OpenSSL 3.0 without ``SSL_OP_LEGACY_SERVER_CONNECT``, it does not go on with a
server that lacks secure renegotiation (RFC 5746) below TLS 1.3. One difference is left:
OpenSSL 3.0 also offers the finite-field groups of RFC 7919 for TLS 1.3, which OpenSSL
1.1.1 does not know; a server that offers TLS 1.3 with only those groups is answered at
TLS 1.2.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from nassl import _nassl
from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum, SslClient

from meting.probe.tls_conn import Channel, Connection, SharedContext
from meting.probe.tls_flight import TLS13_SUITES

# Python's default cipher string (PY_SSL_DEFAULT_CIPHER_STRING of CPython 3.11)
CIPHERS = ("@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS"
           ":!SHA1:!AESCCM")
# SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 of OpenSSL 1.1.1: TLS 1.2 at least
BELOW_TLS12 = 0x02000000 | 0x04000000 | 0x10000000
UNSAFE_RENEGOTIATION = "unsafe legacy renegotiation disabled"  # OpenSSL 3.0's words


class InsecureRenegotiation(Exception):
    """The server lacks secure renegotiation, which OpenSSL 3.0's client requires."""


@functools.cache
def fetch_context() -> Any:
    """The process's one context for fetches, apart from the probes' contexts: it answers
    a request for a client certificate with none, where a probe reports the request."""
    context = _nassl.SSL_CTX(OpenSslVersionEnum.SSLV23.value)
    context.set_verify(OpenSslVerifyEnum.NONE.value)
    context.set_client_cert_cb_NULL()
    return context


class FetchClient(SharedContext, SslClient):
    def context(self, ssl_version: OpenSslVersionEnum) -> Any:
        return fetch_context()


def server_name(host: str) -> str | None:
    """The SNI for ``host`` as Python's client sends it: its IDNA form, none for an
    address (RFC 6066 §3); a name IDNA cannot encode raises ``UnicodeError``."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.encode("idna").decode("ascii")
    return None


async def start_tls(channel: Channel, host: str) -> Connection:
    """A completed handshake on ``channel`` with ``host`` in SNI; raises what nassl raises,
    or ``InsecureRenegotiation``."""
    client = FetchClient(ssl_version=OpenSslVersionEnum.SSLV23,
                         ssl_verify=OpenSslVerifyEnum.NONE,
                         server_name_indication=server_name(host))
    client.set_cipher_list(CIPHERS)
    client._ssl.set_options(BELOW_TLS12)
    connection = Connection(client, channel)
    await connection.handshake("any")
    if client.get_current_cipher_name() not in TLS13_SUITES and \
            not client._ssl.get_secure_renegotiation_support():
        await connection.close_notify()
        raise InsecureRenegotiation(UNSAFE_RENEGOTIATION)
    return connection
