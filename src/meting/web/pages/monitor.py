"""Page 6, the scan monitor: rounds with state and progress (done/planned, tests per minute,
expected end), counts of not_testable and error with their reasons, and the Celery workers
with what they run; a coordinator starts, continues and stops a round here (the server's
background worker, with the executor of the ``dashboard_executor`` setting, as ``meting run``)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from meting.run.cluster import Cluster, ask
from meting.store import RoundInfo, Store, StoreError
from meting.web import queries
from meting.web.kept import Figures
from meting.web.render import page
from meting.web.worker import RoundWorker

router = APIRouter()
WINDOW_MINUTES = 5
SHOWN = 10  # most recent rounds on the monitor
NO_RESULT = ("not_testable", "error")
ASKED_FOR = 3.0  # seconds an answer of the workers is shown before they are asked again
# per no-result status, its most frequent explanations (Dutch and English) and their numbers
Reasons = dict[str, list[tuple[dict[str, str], int]]]


@dataclass(frozen=True)
class RoundProgress:
    info: RoundInfo
    per_minute: float
    expected_end: dt.datetime | None
    no_result: dict[str, int]
    reasons: Reasons
    running_here: bool
    workers: list[str]  # Celery workers running tests of it now


class Workers:
    """The Celery workers as they answered at most ASKED_FOR seconds ago (the monitor's
    fragment is fetched every 2 s by every open monitor; the workers are asked once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._app: Any = None
        self._answer: tuple[float, Cluster] | None = None

    def now(self, request: Request) -> Cluster:
        with self._lock:
            if self._answer is not None and time.monotonic() - self._answer[0] < ASKED_FOR:
                return self._answer[1]
            if self._app is None:
                from meting.run.celery_app import make_app

                self._app = make_app(request.app.state.settings)
            found = ask(self._app)
            self._answer = (time.monotonic(), found)
            return found


def cluster(request: Request) -> Cluster | None:
    """The Celery workers, when the dashboard runs rounds on them (else None)."""
    if request.app.state.settings.dashboard_executor != "celery":
        return None
    if not hasattr(request.app.state, "workers"):
        request.app.state.workers = Workers()
    found: Workers = request.app.state.workers
    return found.now(request)


def round_progress(request: Request, workers: Cluster | None = None) -> list[RoundProgress]:
    store: Store = request.app.state.store
    worker: RoundWorker = request.app.state.worker
    figures: Figures = request.app.state.figures
    found = []
    for light in list(reversed(queries.all_rounds(store)))[:SHOWN]:
        kept = figures.kept(light) if light.done else None
        if kept is not None:
            info, no_result = light, _no_result_kept(kept)
            recent, reasons = 0, reasons_once(request, light, no_result)
        elif light.state == "finished":  # counted once per server: it no longer changes
            info, no_result, reasons = finished_counts(request, light)
            recent = 0
        else:  # counted afresh: it changes
            info, no_result = _counted(store, light.id)
            recent, reasons = queries.progress(request.app.state.sessions, info.id,
                                               WINDOW_MINUTES)
        per_minute = recent / WINDOW_MINUTES
        end = None
        if info.state == "running" and per_minute > 0:
            end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=info.pending / per_minute)
        found.append(RoundProgress(info, per_minute, end, no_result, reasons,
                                   worker.state.round_id == info.id,
                                   workers.of_round(info.id) if workers else []))
    return found


def _counted(store: Store, round_id: int) -> tuple[RoundInfo, dict[str, int]]:
    info = store.round(round_id)
    return info, {s: sum(per.get(s, 0) for cols in info.counts.values()
                         for per in cols.values()) for s in NO_RESULT}


def finished_counts(request: Request,
                    light: RoundInfo) -> tuple[RoundInfo, dict[str, int], Reasons]:
    """A finished round whose figures are not kept (e.g. imported, or finished elsewhere),
    counted at its first showing and kept in the server: not computing its figures for
    the monitor, and not counting it again on every refresh."""
    kept: dict[tuple[Any, ...], tuple[RoundInfo, dict[str, int]]] = _kept(
        request, "finished_counts")
    key = _finished(light)
    if key not in kept:
        kept[key] = _counted(request.app.state.store, light.id)
    info, no_result = kept[key]
    return info, no_result, reasons_once(request, light, no_result)


def reasons_once(request: Request, light: RoundInfo, no_result: dict[str, int]) -> Reasons:
    """The reasons of a finished round's tests without a result, read at its first showing
    and kept in the server (they no longer change); none read when there are none."""
    if not any(no_result.values()):
        return {}
    kept: dict[tuple[Any, ...], Reasons] = _kept(request, "finished_reasons")
    key = _finished(light)
    if key not in kept:
        kept[key] = queries.progress(request.app.state.sessions, light.id, WINDOW_MINUTES)[1]
    return kept[key]


def _finished(light: RoundInfo) -> tuple[Any, ...]:
    """What identifies a finished round's counts: another norm or more tests count anew."""
    return light.id, light.norm, light.finished_at, light.done


def _kept(request: Request, name: str) -> Any:
    state = request.app.state
    if not hasattr(state, name):
        setattr(state, name, {})
    return getattr(state, name)


def _no_result_kept(data: dict[str, Any]) -> dict[str, int]:
    """Column results without a result, from a finished round's kept figures."""
    adoption = data["figures"]["adoption"]
    return {s: sum(t["excluded_by"].get(s, 0) for kind in adoption.values()
                   for t in kind["all"].values()) for s in NO_RESULT}


def _context(request: Request) -> dict[str, Any]:
    worker: RoundWorker = request.app.state.worker
    workers = cluster(request)
    return {"progress": round_progress(request, workers), "worker": worker.state,
            "sets": request.app.state.store.domain_sets(), "cluster": workers,
            "executor": worker.executor_name}


@router.get("/monitor", name="monitor")
async def monitor(request: Request) -> Response:
    context = await run_in_threadpool(_context, request)
    return page(request, "monitor/monitor.html.j2", problem=None, **context)


@router.get("/monitor/rounds", name="monitor_rounds")
async def monitor_rounds(request: Request) -> Response:
    context = await run_in_threadpool(_context, request)
    return page(request, "monitor/rounds.html.j2", **context)


def _back(request: Request) -> Response:
    return RedirectResponse(str(request.url_for("monitor")), status_code=303)


async def _refused(request: Request, exc: StoreError) -> Response:
    context = await run_in_threadpool(_context, request)
    return page(request, "monitor/monitor.html.j2", status_code=409, problem=str(exc),
                **context)


@router.post("/monitor/start", name="round_start")
async def round_start(request: Request, set_name: Annotated[str, Form()] = "",
                      label: Annotated[str, Form()] = "") -> Response:
    worker: RoundWorker = request.app.state.worker
    try:
        await run_in_threadpool(worker.start, set_name or None, label.strip() or None)
    except StoreError as exc:
        return await _refused(request, exc)
    return _back(request)


@router.post("/monitor/{round_id}/continue", name="round_continue")
async def round_continue(request: Request, round_id: int) -> Response:
    worker: RoundWorker = request.app.state.worker
    queries.round_or_404(request.app.state.store, round_id)
    try:
        await run_in_threadpool(worker.resume, round_id)
    except StoreError as exc:
        return await _refused(request, exc)
    return _back(request)


@router.post("/monitor/{round_id}/stop", name="round_stop")
async def round_stop(request: Request, round_id: int) -> Response:
    worker: RoundWorker = request.app.state.worker
    if worker.state.round_id != round_id:
        raise HTTPException(409, "not running here")
    await run_in_threadpool(worker.stop)
    return _back(request)
