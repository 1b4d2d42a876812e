"""The lab's web servers: one nginx for every plain site, ``openssl s_server`` for the rest.

``configure`` issues the certificates and writes ``state/web/nginx.conf`` (and the
``openssl s_server`` command lines); ``start`` runs them inside one namespace.
Sites of a server are grouped into SAN certificates of at most ``GROUP`` names, one
nginx ``server`` block per group, so that 10,000 sites need about 100 blocks.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from meting.lab import netns
from meting.lab.model import CertFiles, TlsProfile, WebServer
from meting.lab.pki import LabCA

GROUP = 100
HUGE_BYTES = 10 * 1024 * 1024
FFDHE_BITS = (2048, 3072, 4096, 6144, 8192)
LEGACY = ("TLSv1", "TLSv1.1")
OURS = ("nginx", "openssl")
START_TIMEOUT = 30.0

PAGE = ("<!doctype html><html lang='en'><head><title>$host</title></head>"
        "<body><h1>$host</h1><p>This is the web site of $host in the Meting lab.</p>"
        "</body></html>\\n")
OTHER_WORDS = ("This address answers with another site entirely. It is not the page that "
               "the same name shows over IPv4, and a careful tester should notice that the "
               "two protocols lead to different content. ")
OTHER_PAGE = ("<!doctype html><html lang='en'><head><title>Another site</title></head>"
              "<body><h1>Another site</h1><p>" + OTHER_WORDS * 12 + "</p></body></html>\\n")
SECURITY_HEADERS = (("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
                    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
                    ("Referrer-Policy", "no-referrer"))


@dataclass
class Paths:
    """Where the web part of the lab keeps its files."""

    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "nginx.conf"

    @property
    def certs(self) -> Path:
        return self.root / "certs"

    @property
    def log(self) -> Path:
        return self.root / "error.log"

    @property
    def processes(self) -> Path:
        return self.root / "processes.json"

    @property
    def huge(self) -> Path:
        return self.root / "huge.html"


def ours(servers: list[WebServer]) -> list[WebServer]:
    return [s for s in servers if s.software in OURS]


def groups(sites: list[str]) -> list[list[str]]:
    return [sites[i:i + GROUP] for i in range(0, len(sites), GROUP)]


# --- certificates -------------------------------------------------------------------


def issue_certs(server: WebServer, paths: Paths, ca: LabCA) -> list[CertFiles]:
    """One certificate per group of sites; fills ``server.certs``; returns them in order."""
    if server.tls is None or not server.sites:
        return []
    key_file = (paths.certs / f"{server.name}.key.pem" if server.cert.key == "ec256"
                else ca.directory / "keys" / f"{server.cert.key}.key.pem")
    key_pem = ca.key_for(server.cert.key, key_file)
    issued = []
    for index, names in enumerate(groups(server.sites)):
        files = ca.issue(names, server.cert, paths.certs, f"{server.name}-{index}",
                         key_pem=key_pem, ocsp=server.ocsp_stapling)
        issued.append(files)
        for site in names:
            server.certs[site] = files
    return issued


def dhparam(bits: int, paths: Paths) -> Path:
    """A DH group of this size: the RFC 7919 group when there is one, else generated."""
    out = paths.root / f"dh{bits}.pem"
    if not out.is_file():
        if bits in FFDHE_BITS:
            argv = ["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                    f"group:ffdhe{bits}", "-out", str(out)]
        else:
            argv = ["openssl", "dhparam", "-out", str(out), str(bits)]
        subprocess.run(argv, check=True, capture_output=True)
    return out


# --- nginx --------------------------------------------------------------------------


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def listen_lines(addresses: list[str], port: int, ssl: bool) -> list[str]:
    flag = " ssl" if ssl else ""
    return [f"listen {f'[{a}]' if ':' in a else a}:{port}{flag};" for a in addresses]


def needs_seclevel0(server: WebServer) -> bool:
    tls = server.tls
    if tls is None:
        return False
    weak_dh = tls.dhparam_bits is not None and tls.dhparam_bits < 2048
    return any(p in LEGACY for p in tls.protocols) or server.cert.kind == "sha1" or weak_dh


def cipher_string(server: WebServer) -> str:
    assert server.tls is not None
    ciphers = server.tls.ciphers
    if needs_seclevel0(server) and "@SECLEVEL" not in ciphers:
        ciphers += ":@SECLEVEL=0"
    return ciphers


def tls_lines(server: WebServer, files: CertFiles, paths: Paths) -> list[str]:
    tls = server.tls
    assert tls is not None
    lines = [f"ssl_certificate {files.chain};", f"ssl_certificate_key {files.key};",
             f"ssl_protocols {' '.join(tls.protocols)};",
             f"ssl_ciphers {quote(cipher_string(server))};",
             f"ssl_prefer_server_ciphers {'on' if tls.prefer_server_ciphers else 'off'};"]
    if tls.ciphersuites:
        lines.append(f"ssl_conf_command Ciphersuites {quote(tls.ciphersuites)};")
    if tls.groups:
        lines.append(f"ssl_ecdh_curve {tls.groups};")
    if not tls.extended_master_secret:  # OpenSSL 3.0: SSL_OP_NO_EXTENDED_MASTER_SECRET
        lines.append("ssl_conf_command Options -ExtendedMasterSecret;")
    if tls.dhparam_bits:
        lines.append(f"ssl_dhparam {dhparam(tls.dhparam_bits, paths)};")
    if files.ocsp and server.ocsp_stapling:
        lines += ["ssl_stapling on;", f"ssl_stapling_file {files.ocsp};"]
    return lines


def header_lines(server: WebServer, https: bool) -> list[str]:
    headers: list[tuple[str, str]] = []
    if https and server.hsts_max_age is not None:
        headers.append(("Strict-Transport-Security", f"max-age={server.hsts_max_age}"))
    if server.security_headers:
        headers += SECURITY_HEADERS
    return [f"add_header {name} {quote(value)} always;" for name, value in headers]


def security_txt_lines(server: WebServer) -> list[str]:
    where = "location = /.well-known/security.txt"
    if server.security_txt == "missing":
        return [f"{where} {{ return 404; }}"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    expires = now + (dt.timedelta(days=-30) if server.security_txt == "expired"
                     else dt.timedelta(days=365))
    stamp = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = f"Contact: mailto:security@$host\\nExpires: {stamp}\\n"
    if server.security_txt == "redirected":  # RFC 9116 §3 allows a redirect
        return [f'{where} {{ return 301 "https://$host/security.txt"; }}',
                f'location = /security.txt {{ default_type text/plain; return 200 "{body}"; }}']
    return [f'{where} {{ default_type text/plain; return 200 "{body}"; }}']


def content_lines(server: WebServer, other_site: bool, paths: Paths) -> list[str]:
    """The locations of a site that serves content (not a redirect)."""
    if server.huge_body:
        root = f"location = / {{ root {paths.root}; try_files /huge.html =404; }}"
    else:
        page = OTHER_PAGE if other_site else PAGE
        root = f'location = / {{ default_type text/html; return 200 "{page}"; }}'
    rest = 'location / { default_type text/plain; return 404 "not found\\n"; }'
    return [root, *security_txt_lines(server), rest]


def https_locations(server: WebServer, other_site: bool, paths: Paths) -> list[str]:
    if server.http == "loop":
        return ['location / { return 301 "https://$host$uri?loop=$request_id"; }']
    return content_lines(server, other_site, paths)


def http_locations(server: WebServer, other_site: bool, paths: Paths) -> list[str]:
    scheme = "https" if server.tls else "http"
    if server.http == "content" or (server.http == "loop" and server.tls is None):
        if server.http == "loop":
            return ['location / { return 301 "http://$host$uri?loop=$request_id"; }']
        return content_lines(server, other_site, paths)
    if server.http == "redirect_other_host":
        return [f'location / {{ return 301 "{scheme}://$meting_bare_host$request_uri"; }}']
    return ['location / { return 301 "https://$host$request_uri"; }']


def block(listen: list[str], names: list[str], body: list[str]) -> str:
    lines = [*listen, f"server_name {' '.join(names)};", *body]
    return "server {\n" + "".join(f"    {line}\n" for line in lines) + "}\n"


def address_sets(server: WebServer) -> list[tuple[list[str], bool]]:
    """The addresses that serve the same content, each with 'is the other site'."""
    if server.ipv6_same_site:
        return [(server.ipv4 + server.ipv6, False)]
    return [(server.ipv4, False), (server.ipv6, True)]


def server_blocks(server: WebServer, certs: list[CertFiles], paths: Paths) -> list[str]:
    blocks = []
    for index, names in enumerate(groups(server.sites)):
        for addresses, other in address_sets(server):
            if not addresses:
                continue
            if server.tls and server.software == "nginx":
                body = tls_lines(server, certs[index], paths) + header_lines(server, True)
                blocks.append(block(listen_lines(addresses, 443, True), names,
                                    body + https_locations(server, other, paths)))
            if server.http != "none":
                body = header_lines(server, False) + http_locations(server, other, paths)
                blocks.append(block(listen_lines(addresses, 80, False), names, body))
    return blocks


def main_conf(paths: Paths, blocks: list[str]) -> str:
    temp = " ".join(f"{kind}_temp_path {paths.root}/tmp/{kind};" for kind in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""user root;
worker_processes 2;
daemon off;
pid {paths.root}/nginx.pid;
error_log {paths.log} warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    {temp}
    server_tokens off;
    default_type application/octet-stream;
    server_names_hash_max_size 131072;
    server_names_hash_bucket_size 256;
    keepalive_timeout 10s;
    map $host $meting_bare_host {{ ~^www\\.(?<bare>.+)$ $bare; default $host; }}
{"".join(blocks)}}}
"""


# --- openssl s_server ---------------------------------------------------------------


def protocol_flags(tls: TlsProfile) -> list[str]:
    flags = {"TLSv1": "-no_tls1", "TLSv1.1": "-no_tls1_1", "TLSv1.2": "-no_tls1_2",
             "TLSv1.3": "-no_tls1_3"}
    return [flag for proto, flag in flags.items() if proto not in tls.protocols]


def s_server_argv(server: WebServer, address: str, files: CertFiles, ca: LabCA,
                  paths: Paths) -> list[str]:
    tls = server.tls
    assert tls is not None
    accept = f"[{address}]:443" if ":" in address else f"{address}:443"
    argv = ["openssl", "s_server", "-accept", accept, "-www", "-quiet",
            "-cert", files.chain, "-key", files.key, "-cipher", cipher_string(server),
            *protocol_flags(tls)]
    if server.cert.kind != "self_signed":
        argv += ["-cert_chain", str(ca.intermediate_pem)]
    if tls.ciphersuites:
        argv += ["-ciphersuites", tls.ciphersuites]
    if tls.groups:
        argv += ["-groups", tls.groups]
    if tls.prefer_server_ciphers:
        argv.append("-serverpref")
    if tls.dhparam_bits:
        argv += ["-dhparam", str(dhparam(tls.dhparam_bits, paths))]
    if tls.client_renegotiation:
        argv.append("-client_renegotiation")
    if not tls.extended_master_secret:
        raise netns.LabError(f"TLS profile {tls.name}: openssl s_server cannot turn off Extended "
                       "Master Secret; use nginx")
    if files.ocsp and server.ocsp_stapling:
        argv += ["-status_file", files.ocsp]
    return argv


def s_servers(server: WebServer, certs: list[CertFiles], ca: LabCA,
              paths: Paths) -> list[list[str]]:
    if server.software != "openssl" or server.tls is None or not certs:
        return []
    return [s_server_argv(server, a, certs[0], ca, paths) for a in server.ipv4 + server.ipv6]


# --- public interface ---------------------------------------------------------------


def configure(servers: list[WebServer], state: Path, ca: LabCA) -> None:
    """Issue certificates and write nginx.conf and the s_server command lines."""
    paths = Paths(state / "web")
    for sub in ("certs", "tmp"):
        (paths.root / sub).mkdir(parents=True, exist_ok=True)
    blocks: list[str] = []
    extra: list[list[str]] = []
    for server in ours(servers):
        certs = issue_certs(server, paths, ca)
        blocks += server_blocks(server, certs, paths)
        extra += s_servers(server, certs, ca, paths)
    if any(s.huge_body for s in servers) and not paths.huge.is_file():
        paths.huge.write_bytes(b"<!doctype html><html><body><pre>\n"
                               + b"x" * (HUGE_BYTES - 64) + b"\n</pre></body></html>\n")
    paths.conf.write_text(main_conf(paths, blocks))
    listening = [f"{a}:{p}" if ":" not in a else f"[{a}]:{p}"
                 for a, p in listening_addresses(ours(servers))]
    paths.processes.write_text(json.dumps({"s_server": extra, "listening": listening,
                                           "nginx": bool(blocks)}, indent=1))


def listening_addresses(servers: list[WebServer]) -> list[tuple[str, int]]:
    result = []
    for server in servers:
        for address in server.ipv4 + server.ipv6:
            if server.tls and server.sites:
                result.append((address, 443))
            if server.http != "none" and server.sites:
                result.append((address, 80))
    return result


def start(servers: list[WebServer], state: Path, ns: str) -> None:
    """Start nginx and the s_server processes in ``ns``; wait until all of them listen."""
    paths = Paths(state / "web")
    plan = json.loads(paths.processes.read_text())
    procs: list[subprocess.Popen[bytes]] = []
    if plan["nginx"]:
        procs.append(netns.spawn_in(ns, ["nginx", "-p", str(paths.root), "-c", str(paths.conf),
                                         "-e", str(paths.log)], paths.log))
    for index, argv in enumerate(plan["s_server"]):
        procs.append(netns.spawn_in(ns, argv, paths.root / f"s_server-{index}.log"))
    wait_listening(ns, plan["listening"], procs, paths)


WAIT_SCRIPT = """
import socket, sys, time
todo = sys.argv[2:]
deadline = time.monotonic() + float(sys.argv[1])
while todo and time.monotonic() < deadline:
    left = []
    for item in todo:
        host, port = item.rsplit(":", 1)
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=0.5).close()
        except OSError:
            left.append(item)
    todo = left
    if todo:
        time.sleep(0.1)
print(" ".join(todo))
sys.exit(1 if todo else 0)
"""


def wait_listening(ns: str, listening: list[str], procs: list[subprocess.Popen[bytes]],
                   paths: Paths) -> None:
    """Probe every address from inside ``ns`` until all answer; fail fast if a server died."""
    started = time.monotonic()
    todo = listening
    while todo and time.monotonic() - started < START_TIMEOUT:
        result = netns.run_in(ns, [sys.executable, "-c", WAIT_SCRIPT, "1", *todo],
                              check=False, timeout=30)
        todo = result.stdout.split()
        dead = [str(p.args) for p in procs if p.poll() is not None]
        if todo and dead:
            raise netns.LabError(f"web server exited in {ns}: {'; '.join(dead)[:500]}\n"
                                 f"{log_tail(paths)}")
    if todo:
        raise netns.LabError(
            f"web servers in {ns} not listening after {START_TIMEOUT:.0f} s: "
            f"{' '.join(todo)[:500]}\n{log_tail(paths)}")


def log_tail(paths: Paths, lines: int = 20) -> str:
    logs = [paths.log, *sorted(paths.root.glob("s_server-*.log"))]
    parts = []
    for log in logs:
        if log.is_file():
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log}\n" + "\n".join(tail))
    return "\n".join(parts)
