"""The candidates page (issue 16): names discovery found, for the coordinator to accept
into the registry or ignore, through the same services as ``meting candidates``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from meting.discovery.decide import accept, ignore, listed
from meting.discovery.messages import Message, message
from meting.discovery.service import DiscoveryError
from meting.settings import Settings
from meting.store import StoreError
from meting.store.discovery_models import CANDIDATE_STATES
from meting.web.render import page

router = APIRouter()
SHOWN = 500


def _page(request: Request, state: str, problem: Message | None = None,
          status_code: int = 200,
          done: str = "", n: int = 0) -> Response:
    settings: Settings = request.app.state.settings
    chosen = state if state in CANDIDATE_STATES else None
    rows = listed(settings, None, chosen)
    return page(request, "candidates/candidates.html.j2", status_code=status_code,
                rows=rows[:SHOWN], total=len(rows), state=chosen or "",
                states=CANDIDATE_STATES, problem=problem, done=done, n=n)


@router.get("/candidates", name="candidates")
async def candidates(request: Request, state: str = "new", done: str = "",
                     n: int = 0) -> Response:
    return await run_in_threadpool(_page, request, state, None, 200,
                                   done if done in ("accepted", "ignored") else "", n)


@router.post("/candidates/decide", name="candidates_decide")
async def candidates_decide(request: Request,
                            decision: Annotated[str, Form()],
                            names: Annotated[list[str] | None, Form()] = None,
                            organisation: Annotated[str, Form()] = "") -> Response:
    settings: Settings = request.app.state.settings
    chosen = [n.strip().lower() for n in names or [] if n.strip()]
    try:
        if not chosen:
            raise DiscoveryError("nothing_chosen")
        if decision == "accept":
            await run_in_threadpool(accept, settings, chosen, organisation.strip() or None)
        elif decision == "ignore":
            await run_in_threadpool(ignore, settings, chosen)
        else:
            raise DiscoveryError("unknown_decision", decision=repr(decision[:40]))
    except DiscoveryError as exc:
        # discovery words its reasons in both languages: the page shows the exact one
        return await run_in_threadpool(_page, request, "new", exc.message, 400)
    except StoreError:
        return await run_in_threadpool(_page, request, "new", message("refused"), 400)
    done = "accepted" if decision == "accept" else "ignored"
    return RedirectResponse(str(request.url_for("candidates").include_query_params(
        state=done, done=done, n=len(chosen))), status_code=303)
