"""A stand-in for Internet.nl's batch API v2, built from its published OpenAPI description
(interface/batch/openapi.yaml of Internet.nl), for the tests of `meting internetnl`.

A real HTTP server (Starlette on uvicorn, loopback only) with the contract's request life
cycle (registering → running → generating → done; cancelled by PATCH), HTTP basic
authentication (401 without a body), the error answers of the contract (400 bad-request,
404 unknown-request, 500 server-error, each ``{"api_version", "error": {"label", "msg"}}``)
and result documents in the documented shape (``ResultsReply``, ``DomainWebTechnical``,
``DomainMailTechnical``). The life cycle advances per status look, not per second, so the
tests assert no timing: a request stays ``registering`` for ``--registering`` looks.

Misbehaviour on purpose: ``--fail-status N`` answers the Nth status look with a 500,
``--fail-results N`` the Nth results download; ``--hold N`` registers the Nth submission and
then keeps its answer back for ``--hold-seconds`` (the client may be killed meanwhile).
``GET /_standin/stats`` (no authentication) counts submissions, for the tests.

Each domain's results follow from its name (a hash), so a test knows what Internet.nl
would say: ``truth(domain, kind)`` gives the report column statuses (SPEC §4) the results
stand for.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_VERSION = "2.0.0"
REQUEST_ID = re.compile(r"^[a-f0-9]{32}$")

WEB_TLS = ["web_https_tls_version", "web_https_tls_ciphers", "web_https_tls_cipherorder",
           "web_https_tls_keyexchange", "web_https_tls_keyexchangehash",
           "web_https_tls_compress", "web_https_tls_secreneg", "web_https_tls_clientreneg",
           "web_https_tls_0rtt", "web_https_tls_ocsp", "web_https_cert_chain",
           "web_https_cert_pubkey", "web_https_cert_sig", "web_https_cert_domain"]
MAIL_TLS = ["mail_starttls_tls_version", "mail_starttls_tls_ciphers",
            "mail_starttls_tls_cipherorder", "mail_starttls_tls_keyexchange",
            "mail_starttls_tls_keyexchangehash", "mail_starttls_tls_compress",
            "mail_starttls_tls_secreneg", "mail_starttls_tls_clientreneg",
            "mail_starttls_tls_0rtt", "mail_starttls_cert_chain", "mail_starttls_cert_pubkey",
            "mail_starttls_cert_sig", "mail_starttls_cert_domain"]
HEADERS = ["web_appsecpriv_x_frame_options", "web_appsecpriv_x_content_type_options",
           "web_appsecpriv_csp", "web_appsecpriv_referrer_policy"]
WEB_FEATURES = ("dnssec", "https", "tls", "redirect", "hsts", "ns6", "ws6", "rpki", "sectxt",
                "headers")
MAIL_FEATURES = ("dmarc", "dkim", "spf", "dmarc_policy", "spf_policy", "starttls", "tls",
                 "dnssec_mx", "dane", "ns6", "mx6", "rpki")


# -- what a domain gets -----------------------------------------------------------------

def _bits(domain: str, kind: str) -> tuple[dict[str, bool], int]:
    digest = hashlib.sha256(f"{kind}:{domain}".encode()).digest()
    features = WEB_FEATURES if kind == "web" else MAIL_FEATURES
    # most features present (3 in 4), as in a government that mostly complies
    return ({name: digest[i] % 4 != 0 for i, name in enumerate(features)},
            int.from_bytes(digest[20:24], "big"))


def _test(status: str, verdict: str) -> dict[str, str]:
    return {"status": status, "verdict": verdict}


def _yes(ok: bool, status_if_not: str = "failed") -> str:
    return "passed" if ok else status_if_not


def web_tests(f: dict[str, bool]) -> dict[str, dict[str, str]]:
    https = f["https"]

    def after_https(ok: bool, otherwise: str = "failed") -> str:
        return _yes(ok, otherwise) if https else "not_tested"
    found = {
        "web_dnssec_exist": _yes(f["dnssec"]),
        "web_dnssec_valid": "passed" if f["dnssec"] else "not_tested",
        "web_https_http_available": _yes(https),
        "web_https_http_redirect": after_https(f["redirect"]),
        "web_https_http_hsts": after_https(f["hsts"]),
        "web_https_http_compress": after_https(True),
        "web_ipv6_ns_address": _yes(f["ns6"]), "web_ipv6_ns_reach": _yes(f["ns6"]),
        "web_ipv6_ws_address": _yes(f["ws6"]),
        "web_ipv6_ws_reach": "passed" if f["ws6"] else "not_tested",
        "web_ipv6_ws_similar": "passed" if f["ws6"] else "not_tested",
        "web_appsecpriv_securitytxt": after_https(f["sectxt"], "warning"),
        "web_rpki_exists": _yes(f["rpki"]), "web_rpki_valid": _yes(f["rpki"]),
    }
    found |= {name: after_https(f["tls"] or name != "web_https_tls_version")
              for name in WEB_TLS}
    found |= {name: after_https(f["headers"] or name != "web_appsecpriv_csp", "info")
              for name in HEADERS}
    return {name: _test(status, f"detail verdict {status}") for name, status in found.items()}


def mail_tests(f: dict[str, bool], no_mx: bool) -> dict[str, dict[str, str]]:
    starttls = f["starttls"] and not no_mx

    def on_mx(ok: bool) -> str:
        return "not_tested" if no_mx else _yes(ok)

    def after_starttls(ok: bool) -> str:
        return _yes(ok) if starttls else "not_tested"
    found = {
        "mail_auth_dmarc_exist": _yes(f["dmarc"]),
        "mail_auth_dmarc_policy": _yes(f["dmarc"] and f["dmarc_policy"]),
        "mail_auth_dkim_exist": _yes(f["dkim"]),
        "mail_auth_spf_exist": _yes(f["spf"]),
        "mail_auth_spf_policy": _yes(f["spf"] and f["spf_policy"]),
        "mail_starttls_tls_available": on_mx(f["starttls"]),
        "mail_dnssec_mx_exist": on_mx(f["dnssec_mx"]),
        "mail_dnssec_mx_valid": "passed" if f["dnssec_mx"] and not no_mx else "not_tested",
        "mail_starttls_dane_exist": after_starttls(f["dane"] and f["dnssec_mx"]),
        "mail_starttls_dane_valid": after_starttls(f["dane"] and f["dnssec_mx"]),
        "mail_ipv6_ns_address": _yes(f["ns6"]), "mail_ipv6_ns_reach": _yes(f["ns6"]),
        "mail_ipv6_mx_address": on_mx(f["mx6"]),
        "mail_ipv6_mx_reach": "passed" if f["mx6"] and not no_mx else "not_tested",
        "mail_rpki_exists": _yes(f["rpki"]), "mail_rpki_valid": _yes(f["rpki"]),
    }
    found |= {name: after_starttls(f["tls"] or name != "mail_starttls_tls_version")
              for name in MAIL_TLS}
    return {name: _test(status, f"detail verdict {status}") for name, status in found.items()}


RANK = {"failed": 0, "error": 1, "not_tested": 2, "warning": 3, "info": 4, "passed": 5}


def _worst(statuses: list[str]) -> str:
    return min(statuses, key=RANK.__getitem__)


def _category(tests: dict[str, dict[str, str]], prefix: str) -> dict[str, str]:
    statuses = [t["status"] for n, t in tests.items() if n.startswith(prefix)]
    status = _worst([s for s in statuses if s != "not_tested"] or ["passed"])
    return {"status": status, "verdict": status}


def _categories(kind: str, tests: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    names = ("web_ipv6", "web_dnssec", "web_https", "web_appsecpriv", "web_rpki") \
        if kind == "web" else ("mail_ipv6", "mail_dnssec", "mail_auth", "mail_starttls",
                               "mail_rpki")
    found = {name: _category(tests, name) for name in names}
    if kind == "mail":  # the DNSSEC category holds the MX names' tests
        found["mail_dnssec"] = _category(tests, "mail_dnssec_mx")
    return found


def failed_domain(domain: str, kind: str) -> bool:
    """One domain in 400 could not be tested by Internet.nl at all (DomainStatus error)."""
    return _bits(domain, kind)[1] % 400 == 7


def no_mx(domain: str) -> bool:
    """One mail domain in 20 has no mail servers."""
    return _bits(domain, "mail")[1] % 20 == 3


def result(domain: str, kind: str) -> dict[str, Any]:
    if failed_domain(domain, kind):
        return {"status": "error"}
    f, _ = _bits(domain, kind)
    tests = web_tests(f) if kind == "web" else mail_tests(f, no_mx(domain))
    custom: dict[str, Any] = {}
    if kind == "mail":
        custom = {"mail_non_sending_domain": False,
                  "mail_servers_testable_status": "no_mx" if no_mx(domain) else "ok"}
    digest = hashlib.sha256(domain.encode()).hexdigest()
    score = round(100 * sum(t["status"] == "passed" for t in tests.values()) / len(tests))
    return {"status": "ok", "scoring": {"percentage": score},
            "report": {"url": f"https://batch.example/site/{domain}/{digest[:8]}/"},
            "results": {"categories": _categories(kind, tests), "tests": tests,
                        "custom": custom}}


def truth(domain: str, kind: str) -> dict[str, str]:
    """The report columns (SPEC §4) these results stand for: every column error for a
    domain Internet.nl could not test."""
    found = _columns(domain, kind)
    if failed_domain(domain, kind):
        return dict.fromkeys(found, "error")
    return found


def _columns(domain: str, kind: str) -> dict[str, str]:
    f, _ = _bits(domain, kind)
    if kind == "web":
        https = f["https"]

        def after(ok: bool, otherwise: str = "failed") -> str:
            return _yes(ok, otherwise) if https else "not_tested"
        return {"dnssec": _yes(f["dnssec"]), "tls_available": _yes(https),
                "tls_ncsc_web": after(f["tls"]), "https_redirect": after(f["redirect"]),
                "hsts": after(f["hsts"]), "ipv6_nameserver": _yes(f["ns6"]),
                "ipv6_webserver": _yes(f["ws6"]), "ipv6_web": _yes(f["ns6"] and f["ws6"]),
                "rpki_web": _yes(f["rpki"]), "security_txt": after(f["sectxt"], "warning"),
                "security_headers": after(f["headers"], "info")}
    empty = no_mx(domain)
    starttls = f["starttls"] and not empty

    def mx(ok: bool) -> str:
        return "info" if empty else _yes(ok)
    return {"dmarc": _yes(f["dmarc"]), "dkim": _yes(f["dkim"]), "spf": _yes(f["spf"]),
            "dmarc_policy": _yes(f["dmarc"] and f["dmarc_policy"]),
            "spf_policy": _yes(f["spf"] and f["spf_policy"]),
            "starttls": mx(f["starttls"]),
            "starttls_ncsc": "info" if empty else _yes(f["tls"]) if starttls else "not_tested",
            "dnssec_mx": mx(f["dnssec_mx"]),
            "dane": "info" if empty else _yes(f["dane"] and f["dnssec_mx"]) if starttls
            else "not_tested",
            "ipv6_nameserver": _yes(f["ns6"]), "ipv6_mailserver": mx(f["mx6"]),
            "ipv6_mail": _yes(f["ns6"] and (f["mx6"] or empty)), "rpki_mail": _yes(f["rpki"])}


def technical(domain: str, kind: str) -> dict[str, Any]:
    if failed_domain(domain, kind):
        return {"status": "error"}
    f, _ = _bits(domain, kind)
    ns = {f"ns{i}.{domain}": {
        "ipv4": {"addresses": [_address("192.0.2.", i, f["rpki"])]},
        "ipv6": {"addresses": [_address("2001:db8::", i, f["rpki"])] if f["ns6"] else []}}
        for i in (1, 2)}
    tls = {"protocols_bad": [] if f["tls"] else ["TLS 1.0"], "protocols_phase_out": [],
           "ciphers_bad": [], "ciphers_phase_out": [], "cipher_order": "good",
           "kex_hash_func": "good", "compression": False, "secure_reneg": True,
           "client_reneg": False, "zero_rtt": "good", "cert_trusted": True}
    if kind == "web":
        details = tls | {"https_redirect": "good" if f["redirect"] else "bad",
                         "hsts": "yes" if f["hsts"] else "no",
                         "hsts_policies": ["max-age=31536000"] if f["hsts"] else [],
                         "securitytxt_enabled": f["sectxt"],
                         "content_security_policy_enabled": f["headers"],
                         "x_frame_options_enabled": True, "referrer_policy_enabled": True,
                         "x_content_type_options_enabled": True}
        server = {"server_reachable": True, "https_enabled": f["https"],
                  "details": details if f["https"] else {}}
        return {"status": "ok", "domain": {"dnssec": {"status": _dnssec(f["dnssec"])}},
                "nameservers": ns,
                "webservers": {"ipv4": server | {"addresses": [_address("198.51.100.", 1,
                                                                        f["rpki"])]},
                               "ipv6": server | {"addresses": [_address("2001:db8:1::", 1,
                                                                        f["rpki"])]
                                                 if f["ws6"] else []},
                               **({"ip_similarity": True} if f["ws6"] else {})}}
    mx = {} if no_mx(domain) else {f"mx.{domain}": {
        "addresses": {"ipv4": [_address("203.0.113.", 1, f["rpki"])],
                      "ipv6": [_address("2001:db8:2::", 1, f["rpki"])] if f["mx6"] else []},
        "dnssec": {"status": _dnssec(f["dnssec_mx"])}, "server_reachable": True,
        "starttls_enabled": f["starttls"], "server_testable": True,
        "details": tls | {"dane_status": "validated" if f["dane"] else "none",
                          "dane_records": ["3 1 1 ab12"] if f["dane"] else []}
        if f["starttls"] else {}}}
    return {"status": "ok",
            "domain": {"dnssec": {"status": "secure"},
                       "dmarc": {"records": ["v=DMARC1; p=reject"] if f["dmarc"] else [],
                                 **({"policy_status": "valid" if f["dmarc_policy"]
                                     else "invalid_p_sp"} if f["dmarc"] else {})},
                       "spf": {"records": ["v=spf1 -all"] if f["spf"] else [],
                               **({"policy_status": "valid" if f["spf_policy"]
                                   else "invalid_all"} if f["spf"] else {})},
                       "dkim": {"discovered": f["dkim"]}},
            "nameservers": ns, "mx_nameservers": {}, "receiving_mailservers": mx}


def _dnssec(ok: bool) -> str:
    return "secure" if ok else "insecure"


def _address(prefix: str, n: int, valid: bool) -> dict[str, Any]:
    return {"address": f"{prefix}{n}", "reachable": True,
            "routing": [{"origin": "AS64496", "route": f"{prefix}0/24",
                         "rov_state": "valid" if valid else "not-found"}]}


# -- the server -------------------------------------------------------------------------

@dataclass
class Batch:
    request_id: str
    name: str
    kind: str
    domains: list[str]
    submitted: str
    looks: int = 0
    cancelled: bool = False
    finished: str | None = None


@dataclass
class Behaviour:
    user: str
    password: str
    registering: int = 3  # status looks a request stays registering
    fail_status: int = 0  # this status look (counted over all requests) answers 500
    fail_results: int = 0  # this results download answers 500
    hold: int = 0  # this submission's answer is kept back
    hold_seconds: float = 3600.0


@dataclass
class Server:
    behaviour: Behaviour
    batches: dict[str, Batch] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {
        "submissions": 0, "domains": 0, "status_looks": 0, "results": 0, "errors_served": 0})

    def state(self, batch: Batch) -> str:
        if batch.cancelled:
            return "cancelled"
        r = self.behaviour.registering
        stage = ("registering" if batch.looks < r else "running" if batch.looks < r + 2
                 else "generating" if batch.looks < r + 3 else "done")
        if stage == "done" and batch.finished is None:
            batch.finished = _now()
        return stage

    def describe(self, batch: Batch) -> dict[str, Any]:
        return {"request_id": batch.request_id, "name": batch.name,
                "request_type": batch.kind, "status": self.state(batch),
                "submit_date": batch.submitted, "finished_date": batch.finished}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _error(status: int, label: str, msg: str) -> JSONResponse:
    return JSONResponse({"api_version": API_VERSION, "error": {"label": label, "msg": msg}},
                        status_code=status)


def _reply(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"api_version": API_VERSION} | data)


Handler = Callable[[Request], Any]


def app(behaviour: Behaviour) -> Starlette:
    server = Server(behaviour)
    expected = "Basic " + base64.b64encode(
        f"{behaviour.user}:{behaviour.password}".encode()).decode()

    def guarded(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            if request.headers.get("authorization") != expected:
                return Response(status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="batch"'})
            result: Response = await handler(request)
            return result
        return endpoint

    def found(request: Request) -> Batch | JSONResponse:
        request_id = request.path_params["request_id"]
        batch = server.batches.get(request_id) if REQUEST_ID.match(request_id) else None
        if batch is None:
            return _error(404, "unknown-request", "This request_id does not exist for the user.")
        return batch

    async def register(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "bad-request", "The body is not JSON.")
        domains = body.get("domains") if isinstance(body, dict) else None
        if not isinstance(body, dict) or body.get("type") not in ("web", "mail") \
                or not isinstance(domains, list) or not domains \
                or not all(isinstance(d, str) and d for d in domains) \
                or len(str(body.get("name", ""))) > 255:
            return _error(400, "bad-request", "Could not parse domains. Make sure the domain "
                          "list is properly formatted.")
        batch = Batch(uuid.uuid4().hex, str(body.get("name", "")), body["type"], domains,
                      _now())
        server.batches[batch.request_id] = batch
        server.counts["submissions"] += 1
        server.counts["domains"] += len(domains)
        if server.counts["submissions"] == behaviour.hold:
            await asyncio.sleep(behaviour.hold_seconds)
        return _reply({"request": server.describe(batch)})

    async def listing(request: Request) -> Response:
        limit = request.query_params.get("limit", "10")
        if not limit.isdigit():
            return _error(400, "bad-request", "limit is not a number.")
        newest = sorted(server.batches.values(), key=lambda b: b.submitted, reverse=True)
        shown = newest if limit == "0" else newest[:int(limit)]
        return _reply({"requests": [server.describe(b) for b in shown]})

    async def status(request: Request) -> Response:
        batch = found(request)
        if isinstance(batch, JSONResponse):
            return batch
        server.counts["status_looks"] += 1
        if server.counts["status_looks"] == behaviour.fail_status:
            server.counts["errors_served"] += 1
            return _error(500, "server-error", "General server error. Please report this if "
                          "it keeps happening.")
        batch.looks += 1
        return _reply({"request": server.describe(batch)})

    async def cancel(request: Request) -> Response:
        batch = found(request)
        if isinstance(batch, JSONResponse):
            return batch
        body = await request.json()
        if not isinstance(body, dict) or body.get("status") != "cancelled":
            return _error(400, "bad-request", "Only 'cancelled' is accepted as status.")
        batch.cancelled = True
        return _reply({"request": server.describe(batch)})

    def results_of(document: Callable[[str, str], dict[str, Any]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            batch = found(request)
            if isinstance(batch, JSONResponse):
                return batch
            server.counts["results"] += 1
            if server.counts["results"] == behaviour.fail_results:
                server.counts["errors_served"] += 1
                return _error(500, "server-error", "General server error.")
            if server.state(batch) != "done":
                return _error(400, "bad-request", "The request is not done yet.")
            return _reply({"request": server.describe(batch),
                           "domains": {d: document(d, batch.kind) for d in batch.domains}})
        return endpoint

    async def stats(request: Request) -> Response:
        return JSONResponse(server.counts | {"requests": len(server.batches)})

    async def requests(request: Request) -> Response:
        if request.method == "POST":
            return await register(request)
        return await listing(request)

    async def one(request: Request) -> Response:
        if request.method == "PATCH":
            return await cancel(request)
        return await status(request)

    return Starlette(routes=[
        Route("/api/batch/v2/requests", guarded(requests), methods=["GET", "POST"]),
        Route("/api/batch/v2/requests/{request_id}", guarded(one), methods=["GET", "PATCH"]),
        Route("/api/batch/v2/requests/{request_id}/results", guarded(results_of(result))),
        Route("/api/batch/v2/requests/{request_id}/results_technical",
              guarded(results_of(technical))),
        Route("/_standin/stats", stats),
    ])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="meting")
    parser.add_argument("--password", required=True)
    parser.add_argument("--registering", type=int, default=3)
    parser.add_argument("--fail-status", type=int, default=0)
    parser.add_argument("--fail-results", type=int, default=0)
    parser.add_argument("--hold", type=int, default=0)
    parser.add_argument("--hold-seconds", type=float, default=3600.0)
    args = parser.parse_args()
    behaviour = Behaviour(args.user, args.password, args.registering, args.fail_status,
                          args.fail_results, args.hold, args.hold_seconds)
    uvicorn.run(app(behaviour), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
