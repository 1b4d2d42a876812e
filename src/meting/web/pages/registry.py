"""Page 7, the registry: upload a list (CSV/XLSX) with a preview and the same line-numbered
problems as ``meting import`` (nothing imported while problems remain), and add or edit one
organisation's domain through the same checks (a one-row list); domain sets come with it."""

from __future__ import annotations

import csv
import io
import secrets
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from meting.registry import vocabulary
from meting.registry.lists import ListFile, ListFileError, read_list
from meting.store import Store, StoreError
from meting.web.access import viewer
from meting.web.render import page
from meting.words import in_language

router = APIRouter()
MAX_UPLOAD = 20 * 1024 * 1024
SHOWN = 200
SUFFIXES = (".csv", ".xlsx")
# a problem of the one-row form is placed at its field (the form's label), not at a line
FORM_LABELS = {"organisation": "organisation", "category": "layer", "domain": "domain",
               "web_host": "web_host", "mail": "mail_role", "umbrella": "umbrella",
               "provider": "provider", "sets": "sets"}


class Uploads:
    """Lists waiting for the coordinator's confirmation, by a random key, per account."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="meting-uploads-"))
        self.waiting: dict[str, tuple[int | None, Path]] = {}

    def keep(self, owner: int | None, suffix: str, data: bytes) -> str:
        key = secrets.token_urlsafe(16)
        path = self.folder / f"{key}{suffix}"
        path.write_bytes(data)
        self.waiting[key] = (owner, path)
        return key

    def path(self, owner: int | None, key: str) -> Path:
        found = self.waiting.get(key)
        if found is None or found[0] != owner:
            raise HTTPException(404)
        return found[1]


def uploads(request: Request) -> Uploads:
    app = request.app
    if not hasattr(app.state, "uploads"):
        app.state.uploads = Uploads()
    found: Uploads = app.state.uploads
    return found


def _overview(request: Request, q: str = "") -> dict[str, Any]:
    store: Store = request.app.state.store
    entries = store.export_entries()
    wanted = q.strip().lower()
    if wanted:
        entries = [e for e in entries if wanted in e.domain or wanted in e.organisation.lower()]
    return {"entries": entries[:SHOWN], "total": len(entries), "sets": store.domain_sets(),
            "q": q, "categories": list(vocabulary.categories()["categories"])}


@router.get("/registry", name="registry")
async def registry(request: Request, q: str = "") -> Response:
    context = await run_in_threadpool(_overview, request, q)
    return page(request, "registry/registry.html.j2", done=request.query_params.get("done", ""),
                **context)


def _one_row(fields: dict[str, str]) -> bytes:
    """The form's fields as a list of one row (the header names of columns.yaml)."""
    names = list(vocabulary.FIELDS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    writer.writerow([fields.get(name, "") for name in names])
    return out.getvalue().encode()


def _read(path: Path) -> ListFile | ListFileError:
    try:
        return read_list(path)
    except ListFileError as exc:
        return exc


@router.post("/registry/preview", name="registry_preview")
async def registry_preview(request: Request, file: UploadFile | None = None,
                           organisation: Annotated[str, Form()] = "",
                           category: Annotated[str, Form()] = "",
                           domain: Annotated[str, Form()] = "",
                           web_host: Annotated[str, Form()] = "",
                           mail: Annotated[str, Form()] = "",
                           umbrella: Annotated[str, Form()] = "",
                           provider: Annotated[str, Form()] = "",
                           sets: Annotated[str, Form()] = "") -> Response:
    who = viewer(request)
    if file is not None and file.filename:
        suffix = Path(file.filename).suffix.lower()
        data = await file.read(MAX_UPLOAD + 1)
        if suffix not in SUFFIXES or len(data) > MAX_UPLOAD:
            return page(request, "registry/preview.html.j2", status_code=400, key=None,
                        listed=None, name=file.filename, problem="upload_refused")
        name, labels = file.filename, None
    else:
        suffix, name, labels = ".csv", domain or "-", FORM_LABELS
        data = _one_row({"organisation": organisation, "category": category,
                         "domain": domain, "web_host": web_host, "mail": mail or "yes",
                         "umbrella": umbrella, "provider": provider, "sets": sets})
    key = uploads(request).keep(who.user_id, suffix, data)
    listed = await run_in_threadpool(_read, uploads(request).path(who.user_id, key))
    if isinstance(listed, ListFileError):
        return page(request, "registry/preview.html.j2", status_code=400, key=None,
                    listed=None, name=name, problem=in_language(listed, request.state.lang))
    return page(request, "registry/preview.html.j2", status_code=200 if listed.ok else 422,
                key=key if listed.ok else None, listed=listed, name=name, problem=None,
                shown=listed.good[:SHOWN], labels=labels)


@router.post("/registry/import", name="registry_import")
async def registry_import(request: Request, key: Annotated[str, Form()] = "") -> Response:
    who = viewer(request)
    path = uploads(request).path(who.user_id, key)
    listed = await run_in_threadpool(_read, path)
    if isinstance(listed, ListFileError) or not listed.ok:
        raise HTTPException(409)
    store: Store = request.app.state.store
    try:
        summary = await run_in_threadpool(store.import_entries, listed.entries)
    except (StoreError, ValueError) as exc:
        return page(request, "registry/preview.html.j2", status_code=409, key=None,
                    listed=listed, name=path.name,
                    problem=in_language(exc, request.state.lang), shown=[])
    uploads(request).waiting.pop(key, None)
    path.unlink(missing_ok=True)
    context = await run_in_threadpool(_overview, request)
    return page(request, "registry/registry.html.j2", imported=summary,
                imported_domains=len(listed.entries), **context)
