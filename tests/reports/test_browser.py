"""The briefings in a real browser: headless Chromium opens the static ``report.html`` and the
interactive page of a run (with aid) and of a sweep, and every chart must render.

A page fails on any console error, script error or failed request, and on any request for
something other than the page itself and its ``data:`` images; every chart (each ``<img>`` of the
static page, each chart's drawing in the interactive page) must show more than its background
in a screenshot of its box; and choosing another view in the interactive page must redraw its
chart. Run it with ``pytest tests/reports/test_browser.py``: it needs Debian's ``chromium``
(``apt-get install chromium``; CI installs it) and skips, saying so, where there is none.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import sim
from sim.reports.briefing import write_run_report
from sim.reports.interactive import write_interactive
from sim.reports.run_files import write_outputs
from sim.reports.sweep_briefing import write_sweep_report

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"))
                 if p and Path(p).is_file()), None)
if CHROMIUM is None:
    pytest.skip("no Chromium at /usr/bin/chromium or on PATH: install Debian's chromium "
                "to run the browser test", allow_module_level=True)

from playwright.sync_api import Browser, ElementHandle, Page, sync_playwright  # noqa: E402

#: Chromium without the sandbox (CI runs as root in a container) and without the background
#: services that would reach the network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: A chart shows more than its background: this share of its pixels differ from the commonest
#: colour, in at least this many colours.
INKED, COLOURS = 0.01, 4


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def run_pages(aid_run, tmp_path_factory) -> Path:
    """The static and the interactive page of the small ``udcg-2026`` run, in one folder."""
    _, folder = aid_run
    out = tmp_path_factory.mktemp("browser-run")
    write_run_report(folder, out)
    write_interactive(folder, out)
    return out


@pytest.fixture(scope="module")
def sweep_pages(small_sobol_sweep, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser-sweep")
    write_sweep_report(small_sobol_sweep, out)
    write_interactive(small_sobol_sweep, out)
    return out


class Opened:
    """A page open in the browser, with every problem it reported."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.problems: list[str] = []
        self.url = path.as_uri()
        page = self.page
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"),
                                     d.dismiss()))
        page.on("request", lambda r: None if r.url == self.url or r.url.startswith("data:")
                else self.problems.append(f"request: {r.url}"))
        page.goto(self.url, wait_until="load")

    def close(self) -> None:
        problems = self.problems
        self.page.close()
        assert problems == []


def assert_inked(element: ElementHandle, what: str) -> bytes:
    """Screenshot ``element``'s box and check it shows more than a background; return it."""
    from PIL import Image

    shot = element.screenshot()
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    counts = sorted(image.getcolors(maxcolors=1 << 24) or [], reverse=True)
    pixels = image.width * image.height
    background = counts[0][0] if counts else pixels
    assert len(counts) >= COLOURS and (pixels - background) / pixels > INKED, \
        f"{what}: blank ({len(counts)} colours, {1 - background / pixels:.1%} not background)"
    return shot


def check_static(browser: Browser, path: Path, images: int) -> None:
    opened = Opened(browser, path)
    opened.page.wait_for_function(
        "[...document.images].every((i) => i.complete && i.naturalWidth > 0)")
    found = opened.page.query_selector_all("img")
    assert len(found) == images
    for image in found:
        image.scroll_into_view_if_needed()
        assert_inked(image, f"{path.name}: {image.get_attribute('alt')}")
    opened.close()


def open_interactive(browser: Browser, path: Path, charts: list[str]) -> Opened:
    """The interactive page, once every chart has drawn; each drawing checked not blank."""
    opened = Opened(browser, path)
    ids = [c.get_attribute("id") for c in opened.page.query_selector_all(".chart")]
    assert ids == [f"chart-{name}" for name in charts]
    assert opened.problems == []  # a script that failed as the page loaded draws nothing
    opened.page.wait_for_function(
        "[...document.querySelectorAll('.chart')].every((c) => c.querySelector('svg.marks'))")
    for name in charts:
        assert_inked(drawing(opened, name), f"{path.name}: {name}")
    return opened


def drawing(opened: Opened, name: str) -> ElementHandle:
    found = opened.page.query_selector(f"#chart-{name} svg.marks")
    assert found is not None, f"chart {name} drew nothing"
    found.scroll_into_view_if_needed()
    return found


def assert_redrawn(opened: Opened, name: str, before: bytes) -> None:
    """The chart ``name`` shows something else than ``before``, once Vega has redrawn it."""
    for _ in range(50):
        if drawing(opened, name).screenshot() != before:
            return
        opened.page.wait_for_timeout(100)
    raise AssertionError(f"chart {name} did not change")


def test_the_static_run_briefing_renders_every_chart(browser, run_pages) -> None:
    check_static(browser, run_pages / "report.html",
                 images=len(list(run_pages.glob("*.png"))))


def test_the_interactive_run_page_renders_and_answers_its_controls(browser, run_pages) -> None:
    opened = open_interactive(browser, run_pages / "report-interactive.html",
                              ["alliance-fan", "ally-shares", "p-goal", "shortfall",
                               "aid-delivered", "aid-needs-met"])
    page = opened.page
    before = drawing(opened, "alliance-fan").screenshot()
    page.check("#chart-alliance-fan input[type=radio][value=core]")
    assert_redrawn(opened, "alliance-fan", before)
    before = drawing(opened, "ally-shares").screenshot()
    page.select_option("#chart-ally-shares select", "DEU")
    assert_redrawn(opened, "ally-shares", before)
    opened.close()


def test_the_static_sweep_briefing_renders_every_chart(browser, sweep_pages) -> None:
    check_static(browser, sweep_pages / "report.html",
                 images=len(list(sweep_pages.glob("*.png"))))


def test_the_interactive_sweep_page_renders_and_answers_its_controls(browser,
                                                                     sweep_pages) -> None:
    opened = open_interactive(browser, sweep_pages / "report-interactive.html",
                              ["sweep-scatter", "sobol-indices"])
    before = drawing(opened, "sweep-scatter").screenshot()
    opened.page.select_option("#chart-sweep-scatter select >> nth=1", "x1")
    assert_redrawn(opened, "sweep-scatter", before)
    opened.close()


#: A scenario name that would close the page's script and run another, if it were not escaped.
HOSTILE = """\
[scenario]
name = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
extends = "baseline"
"""


def test_a_hostile_scenario_name_runs_nothing_in_the_interactive_page(browser, tmp_path) -> None:
    """(The static page's escaping: tests/reports/test_injection.py.)"""
    (tmp_path / "hostile.toml").write_text(HOSTILE, encoding="utf-8")
    scenario = sim.load_scenario(tmp_path / "hostile.toml")
    write_outputs(sim.run(scenario, draws=200, seed=1), tmp_path / "run")
    opened = open_interactive(browser, write_interactive(tmp_path / "run"),
                              ["alliance-fan", "ally-shares", "p-goal", "shortfall"])
    assert opened.page.title().endswith(scenario.name)
    assert len(opened.page.query_selector_all("script")) == 2  # the bundle and the embedding
    opened.close()
