"""Page 7, editing the registry: deleting a domain (after a confirmation; refused when a round
measured it) and the domain-set editor (create, rename, delete, add and remove domains), with
the same service as ``meting domain`` and ``meting set`` (meting.store.registry_edit)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from meting.store.registry_edit import RegistryEditError, RegistryEditor
from meting.web.render import page, texts

router = APIRouter()
T = TypeVar("T")
MAX_NAMES = 10_000  # domains added or removed in one request
SEPARATORS = re.compile(r"[\s,;]+")


def editor(request: Request) -> RegistryEditor:
    app = request.app
    if not hasattr(app.state, "registry_editor"):
        app.state.registry_editor = RegistryEditor(app.state.store)
    found: RegistryEditor = app.state.registry_editor
    return found


def refusal(request: Request, exc: RegistryEditError) -> str:
    """The refusal in the viewer's language (the texts edit_<reason>)."""
    return texts(request)(f"edit_{exc.reason}", **exc.values)


async def _call(request: Request, change: Callable[[RegistryEditor], T]) -> T:
    return await run_in_threadpool(change, editor(request))


def _to(request: Request, name: str, note: str = "", **params: Any) -> Response:
    target = request.url_for(name, **params)
    if note:
        target = target.include_query_params(done=note)
    local = target.path + (f"?{target.query}" if target.query else "")
    return RedirectResponse(local, status_code=303)


# deleting a domain


@router.get("/registry/domains/{domain}/delete", name="domain_delete_confirm")
async def domain_delete_confirm(request: Request, domain: str) -> Response:
    try:
        use = await _call(request, lambda e: e.domain_use(domain))
    except RegistryEditError as exc:
        raise HTTPException(404) from exc
    return page(request, "registry/domain_delete.html.j2", use=use, problem=None)


@router.post("/registry/domains/{domain}/delete", name="domain_delete")
async def domain_delete(request: Request, domain: str) -> Response:
    try:
        use = await _call(request, lambda e: e.delete_domain(domain))
    except RegistryEditError as exc:
        if exc.reason in ("unknown_domain", "bad_domain"):
            raise HTTPException(404) from exc
        use = await _call(request, lambda e: e.domain_use(domain))
        return page(request, "registry/domain_delete.html.j2", status_code=409, use=use,
                    problem=refusal(request, exc))
    return _to(request, "registry", f"deleted:{use.domain}")


# domain sets


async def _sets_page(request: Request, status_code: int = 200, problem: str | None = None,
                     name: str = "") -> Response:
    found = await _call(request, lambda e: e.sets())
    return page(request, "registry/sets.html.j2", status_code=status_code, sets=found,
                problem=problem, name=name, done=request.query_params.get("done", ""))


@router.get("/registry/sets", name="registry_sets")
async def registry_sets(request: Request) -> Response:
    return await _sets_page(request)


@router.post("/registry/sets", name="set_create")
async def set_create(request: Request, name: Annotated[str, Form()] = "") -> Response:
    try:
        made = await _call(request, lambda e: e.create_set(name))
    except RegistryEditError as exc:
        return await _sets_page(request, 422, refusal(request, exc), name)
    return _to(request, "set_editor", "created", set_id=made.id)


async def _set_page(request: Request, set_id: int, status_code: int = 200,
                    problem: str | None = None, names: str = "") -> Response:
    try:
        info = await _call(request, lambda e: e.set_info(set_id))
        members = await _call(request, lambda e: e.members(set_id))
    except RegistryEditError as exc:
        raise HTTPException(404) from exc
    return page(request, "registry/set.html.j2", status_code=status_code, info=info,
                members=members, problem=problem, names=names,
                done=request.query_params.get("done", ""))


@router.get("/registry/sets/{set_id}", name="set_editor")
async def set_editor(request: Request, set_id: int) -> Response:
    return await _set_page(request, set_id)


async def _set_change(request: Request, set_id: int, change: Callable[[RegistryEditor], Any],
                      note: Callable[[Any], str], names: str = "") -> Response:
    try:
        done = await _call(request, change)
    except RegistryEditError as exc:
        if exc.reason == "unknown_set":
            raise HTTPException(404) from exc
        return await _set_page(request, set_id, 422, refusal(request, exc), names)
    return _to(request, "set_editor", note(done), set_id=set_id)


def _names(text: str) -> list[str]:
    found = [n for n in SEPARATORS.split(text) if n]
    if len(found) > MAX_NAMES:
        raise RegistryEditError("too_many", f"more than {MAX_NAMES} names",
                                maximum=MAX_NAMES)
    return found


@router.post("/registry/sets/{set_id}/rename", name="set_rename")
async def set_rename(request: Request, set_id: int,
                     name: Annotated[str, Form()] = "") -> Response:
    return await _set_change(request, set_id, lambda e: e.rename_set(set_id, name),
                             lambda _: "renamed")


@router.post("/registry/sets/{set_id}/domains", name="set_add_domains")
async def set_add_domains(request: Request, set_id: int,
                          domains: Annotated[str, Form()] = "") -> Response:
    return await _set_change(request, set_id,
                             lambda e: e.add_domains(set_id, _names(domains)),
                             lambda n: f"added:{n}", domains)


@router.post("/registry/sets/{set_id}/remove", name="set_remove_domains")
async def set_remove_domains(request: Request, set_id: int) -> Response:
    form = await request.form()
    chosen = [str(v) for v in form.getlist("domain")][:MAX_NAMES]
    return await _set_change(request, set_id, lambda e: e.remove_domains(set_id, chosen),
                             lambda n: f"removed:{n}")


@router.post("/registry/sets/{set_id}/delete", name="set_delete")
async def set_delete(request: Request, set_id: int,
                     confirm: Annotated[str, Form()] = "") -> Response:
    if confirm != "yes":
        return await _set_page(request, set_id, 422, texts(request)("edit_confirm_needed"))
    try:
        gone = await _call(request, lambda e: e.delete_set(set_id))
    except RegistryEditError as exc:
        if exc.reason == "unknown_set":
            raise HTTPException(404) from exc
        return await _set_page(request, set_id, 409, refusal(request, exc))
    return _to(request, "registry_sets", f"deleted:{gone}")
