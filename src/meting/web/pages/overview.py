"""Page 1, the round overview: headline figures, adoption per standard, agreements, trend,
and sortable tables per layer, per umbrella and per organisation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape

from meting.report.charts import line_chart
from meting.store import Store
from meting.web import queries
from meting.web.access import viewer
from meting.web.kept import Figures, exact
from meting.web.render import page, texts
from meting.web.texts import WebTexts

router = APIRouter()
HEADLINES = (("layer_average", "layer_average_{kind}"), ("fully_compliant", "fully_{kind}"),
             ("ipv6_headline", "ipv6_{kind}_headline"))
# one link made with url_for and filled in per organisation: url_for per row of thousands
# of organisations took longer than the rest of the page
ID_SLOT = "organisation-id"


@router.get("/", name="home")
def home(request: Request) -> Response:
    store: Store = request.app.state.store
    rounds = queries.with_results(store)
    if not rounds:
        return page(request, "overview/empty.html.j2")
    return RedirectResponse(str(request.url_for("round_overview", round_id=rounds[0].id)),
                            status_code=303)


@router.get("/rounds/{round_id}", name="round_overview")
def round_overview(request: Request, round_id: int) -> Response:
    store: Store = request.app.state.store
    figures: Figures = request.app.state.figures
    all_rounds = queries.all_rounds(store)
    info = queries.round_or_404(store, round_id, all_rounds)
    data = figures.of(info) if info.done else None
    if data is None:
        return page(request, "overview/empty.html.j2", info=info)
    visible = {o.name: o.id for o in queries.organisations(request.app.state.sessions,
                                                          viewer(request))}
    f = data["figures"]
    return page(request, "overview/round.html.j2", info=info, f=f,
                rounds=queries.with_results(store, all_rounds),
                previous=queries.previous(all_rounds, info),
                headlines=headlines(f, data["exact"]), trend_chart=trend_chart(request, f),
                exact_rates=data["exact"], exact=exact,
                umbrellas=data["umbrellas"], parents=data.get("parents", {}),
                organisation_rows=organisation_rows(
                    texts(request), f["adoption"], info.id,
                    str(request.url_for("organisation", organisation_id=ID_SLOT)),
                    {n: (visible[n], v) for n, v in data["organisations"].items()
                     if n in visible}))


def organisation_rows(t: WebTexts, kinds: Iterable[str], round_id: int, link: str,
                      organisations: dict[str, tuple[int, dict[str, Any]]]) -> Markup:
    """The rows of the table per organisation, made here rather than in the template: at
    national scale (thousands of organisations) the template's per-cell calls took most of
    the page's time. Every value is escaped as the template would."""
    rows = []
    for name, (oid, g) in organisations.items():
        href = escape(link.replace(ID_SLOT, str(oid)))
        cells = [f'<tr><td><a href="{href}?round={round_id}">{escape(name)}</a></td>'
                 f'<td>{escape(t.category(g["category"]))}</td><td>{escape(g["umbrella"])}</td>']
        for kind in kinds:
            k = g.get(kind)
            average = k["layer_average"] if k else None
            sort = escape(average if average is not None else -1)
            fully = k["fully_compliant"] if k else None
            cells.append(f'\n<td class="num" data-sort="{sort}">{escape(t.percent(average))}'
                         f'</td>\n<td class="num" data-sort="{escape(tally_sort(fully))}">'
                         f'{tally(t, fully)}</td>')
        rows.append("".join(cells) + "</tr>\n")
    return Markup("".join(rows))


def tally_sort(x: dict[str, Any] | None) -> float:
    """As the macro ``sort_tally``: a tally sorts by its rate, -1 when nothing counted."""
    return x["rate"] if x and x.get("counted") and x.get("rate") is not None else -1


def tally(t: WebTexts, x: dict[str, Any] | None) -> Markup:
    """As the macro ``tally`` of macros.html.j2."""
    if x and x.get("counted"):
        return Markup(f'<span class="pct">{escape(t.share(x))}</span> '
                      f'<span class="n">(n={escape(t.number(x["counted"]))})</span>')
    return Markup("–")


def headlines(f: dict[str, Any], rates: dict[str, Any]) -> list[dict[str, Any]]:
    """Each headline figure now and in the previous round of the set, exact (the change
    is the report's: from the exact rates, not from the rounded ones)."""
    found = []
    for kind in f["adoption"]:
        for key, label in HEADLINES:
            pair = rates["headline"][kind][key]
            found.append({"label": label.format(kind=kind), "now": exact(pair["now"]),
                          "previous": exact(pair["previous"])})
    return found


def trend_chart(request: Request, f: dict[str, Any]) -> Any:
    t = texts(request)
    trend = f.get("trend", [])
    if len(trend) < 2:
        return None
    series = [(t(f"layer_average_{kind}"), [p["layer_average"].get(kind) for p in trend])
              for kind in f["adoption"]]
    return line_chart(t("trend"), [p["label"] for p in trend], series)
