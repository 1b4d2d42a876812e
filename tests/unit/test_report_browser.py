"""The HTML report in a real browser (headless Chromium from Debian, installed by
scripts/setup): no console errors, and its charts are drawn (screenshot pixels)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from PIL import Image

from meting.report.html import render_html
from meting.report.render import render
from tests.unit.report_data import hostile_analysis

BAR_COLOUR = (0x15, 0x42, 0x73)  # report/charts.py PALETTE[0]


def screenshot(page: Path, tmp_path: Path) -> tuple[Image.Image, list[str]]:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: scripts/setup installs it (Debian package chromium)"
    png = tmp_path / f"{page.stem}.png"
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--window-size=1200,2600", f"--screenshot={png}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert png.exists(), done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return Image.open(png).convert("RGB"), console


def test_report_opens_without_console_errors_and_shows_charts(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(hostile_analysis(), "nl"), encoding="utf-8")
    image, console = screenshot(page, tmp_path)
    assert console == []
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    bar_pixels = sum(n for n, colour in colours if colour == BAR_COLOUR)
    # the web bar chart alone: nine bars, each hundreds of pixels wide and 18 high
    assert bar_pixels > 9 * 18 * 100


def test_the_console_check_sees_errors(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction()</script>x</body></html>")
    _, console = screenshot(page, tmp_path)
    assert any("undefinedFunction" in line for line in console)


def dump_dom(url: str, tmp_path: Path) -> tuple[str, list[str]]:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: scripts/setup installs it (Debian package chromium)"
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def test_the_appendix_filter_runs_under_the_pages_policy(tmp_path: Path) -> None:
    """The real script in Chromium, allowed by the page's CSP hash: the query string's
    filter (text 'gem-', status failed) leaves only the matching rows and says how many."""
    files = render(hostile_analysis(), "html", "nl", "report")
    for suffix, data in files.items():
        path = tmp_path / f"report{suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    page = tmp_path / "report.html"
    dom, console = dump_dom(page.as_uri() + "?q=gem-&s=f", tmp_path)
    assert console == []  # a policy violation would be logged here
    assert '<div class="filter" id="filter">' in dom  # shown: the script ran
    rows = re.findall(r'<tr data-o="[^"]*"( hidden(?:="")?)?><td><a href="([^"]+)"', dom)
    shown = {href.split("/")[1].split("#")[0] + "#" + href.split("#")[1]
             for hidden, href in rows if not hidden}
    # gem-b fails web and mail columns, gem-c web and mail; gem-a has errors, no failures
    assert shown == {"gem-b.nl.html#web", "gem-b.nl.html#mail", "gem-c.nl.html#web",
                     "gem-c.nl.html#mail"}
    assert re.search(r'<output id="filter-n"[^>]*>4 van 16 rijen getoond</output>', dom)
    # the detail page a row links to exists, with the domain's columns and a way back
    detail = (tmp_path / "report-details" / "gem-b.nl.html").read_text()
    assert 'href="../report.html#appendix"' in detail and 'id="mail"' in detail
    _, console = dump_dom((tmp_path / "report-details" / "gem-b.nl.html").as_uri(), tmp_path)
    assert console == []
