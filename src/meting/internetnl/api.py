"""A client of Internet.nl's batch API v2 (its published OpenAPI description,
interface/batch/openapi.yaml of Internet.nl): register, status, list, cancel, results and
technical results, with HTTP basic authentication.

Every failure is one of three errors with a line for the user: ``BadCredentials`` (401),
``Refused`` (400 or 404, with the API's ``error.msg``) and ``Unavailable`` (5xx, a
broken connection or an answer that is not the documented JSON: worth trying again).
The password is kept in a ``Secret`` so no repr, log or traceback shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from meting.errors import InputError, OperationError

STATES = ("registering", "running", "generating", "done", "cancelled", "error")
REQUEST_ID = re.compile(r"^[a-f0-9]{32}$")


class Secret:
    """A password: its value is only handed to the HTTP client."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


class BadCredentials(InputError):
    pass


class Refused(InputError):
    pass


class Unavailable(OperationError):
    pass


@dataclass(frozen=True)
class BatchRequest:
    request_id: str
    name: str
    kind: str
    status: str
    submit_date: str | None
    finished_date: str | None


class BatchClient:
    def __init__(self, base_url: str, user: str, password: Secret,
                 timeout: float = 60.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"the Internet.nl batch API's address {base_url!r} is not an "
                             "http(s) URL (setting internetnl_url)")
        if not user or not password:
            raise InputError("the Internet.nl batch API needs a user and a password "
                             "(settings internetnl_user and internetnl_password)")
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(auth=httpx.BasicAuth(user, password.reveal()),
                                    timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> BatchClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def register(self, kind: str, name: str, domains: list[str]) -> BatchRequest:
        return _request(self._call("POST", "/requests",
                                   {"type": kind, "name": name, "domains": domains}))

    def status(self, request_id: str) -> BatchRequest:
        return _request(self._call("GET", f"/requests/{_id(request_id)}"))

    def cancel(self, request_id: str) -> BatchRequest:
        return _request(self._call("PATCH", f"/requests/{_id(request_id)}",
                                   {"status": "cancelled"}))

    def list_requests(self) -> list[BatchRequest]:
        """Every request of this user, newest first (``limit=0``: no limit)."""
        found = self._call("GET", "/requests?limit=0").get("requests")
        if not isinstance(found, list):
            raise Unavailable("Internet.nl's list of requests has no 'requests' array")
        return [_request({"request": item}) for item in found]

    def results(self, request_id: str) -> dict[str, Any]:
        return _domains(self._call("GET", f"/requests/{_id(request_id)}/results"))

    def results_technical(self, request_id: str) -> dict[str, Any]:
        return _domains(self._call("GET", f"/requests/{_id(request_id)}/results_technical"))

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None
              ) -> dict[str, Any]:
        where = f"{method} {self.base_url}{path}"
        try:
            answer = self._client.request(method, self.base_url + path, json=body)
        except httpx.HTTPError as exc:
            raise Unavailable(f"Internet.nl did not answer {where}: "
                              f"{type(exc).__name__} {exc}") from None
        if answer.status_code == 401:
            raise BadCredentials("Internet.nl refused the user name or password "
                                 "(settings internetnl_user and internetnl_password)")
        data = _json(answer)
        if answer.status_code in (400, 404):
            raise Refused(f"Internet.nl refused {where}: {_error(data, answer)}")
        if answer.status_code >= 500:
            raise Unavailable(f"Internet.nl failed on {where} (HTTP {answer.status_code}: "
                              f"{_error(data, answer)})")
        if answer.status_code != 200 or data is None:
            raise Unavailable(f"unexpected answer to {where}: HTTP {answer.status_code}"
                              + ("" if data is not None else ", not JSON"))
        return data


def _json(answer: httpx.Response) -> dict[str, Any] | None:
    try:
        data = answer.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _error(data: dict[str, Any] | None, answer: httpx.Response) -> str:
    error = data.get("error") if data else None
    if isinstance(error, dict) and error.get("msg"):
        return f"{error.get('label', 'error')}: {str(error['msg'])[:300]}"
    return answer.reason_phrase or f"HTTP {answer.status_code}"


def _id(request_id: str) -> str:
    if not REQUEST_ID.match(request_id):
        raise InputError(f"{request_id!r} is not an Internet.nl request id (32 hex digits)")
    return request_id


def _request(data: dict[str, Any]) -> BatchRequest:
    found = data.get("request")
    if not isinstance(found, dict) or not isinstance(found.get("request_id"), str) \
            or found.get("status") not in STATES:
        raise Unavailable("Internet.nl's answer lacks the request, its id or a known status")
    return BatchRequest(found["request_id"], str(found.get("name") or ""),
                        str(found.get("request_type") or ""), found["status"],
                        found.get("submit_date"), found.get("finished_date"))


def _domains(data: dict[str, Any]) -> dict[str, Any]:
    found = data.get("domains")
    if not isinstance(found, dict):
        raise Unavailable("Internet.nl's results have no 'domains' object")
    return found
