"""The standards register with its target agreements, and the annual Monitor Open
Standaarden's figures of a year (issue 18): the same register and services as
``meting standards`` and ``meting monitor report``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from meting import standards
from meting.monitor.report import MonitorView, load_monitor
from meting.monitor.texts import MonitorTexts
from meting.store import RoundInfo, Store
from meting.store.monitor import MonitorStore
from meting.web.render import page

router = APIRouter()


@router.get("/standards", name="standards")
def standards_page(request: Request) -> Response:
    register = standards.register()
    return page(request, "standards/standards.html.j2", register=register,
                mt=MonitorTexts(request.state.lang))


def _years(store: Store) -> list[int]:
    monitor = MonitorStore(store)
    return sorted({t.year for t in monitor.tenders()} | {f.year for f in monitor.facilities()},
                  reverse=True)


@router.get("/open-standards-monitor", name="open_monitor")
async def open_monitor(request: Request,
                       year: Annotated[int | None, Query(ge=1990, le=2100)] = None
                       ) -> Response:
    store: Store = request.app.state.store
    years = await run_in_threadpool(_years, store)
    chosen = year or (years[0] if years else None)
    if chosen is None:
        return page(request, "standards/monitor.html.j2", view=None, years=years, year=None,
                    mt=MonitorTexts(request.state.lang))
    kept = request.app.state.figures  # the rounds' kept figures, as the other pages read

    def figures_of(info: RoundInfo) -> dict[str, Any]:
        found: dict[str, Any] = kept.of(info)["figures"]
        return found

    report = await run_in_threadpool(load_monitor, store, chosen, figures_of)
    return page(request, "standards/monitor.html.j2", years=years, year=chosen,
                view=MonitorView(report, request.state.lang), m=report.figures,
                mt=MonitorTexts(request.state.lang))
