"""User strings in a report are shown as written: escaped for Markdown and HTML (issue 16, case
15), and never parsed as mathtext in a chart (case 12)."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from invoke import summit

import sim
from sim.reports.page import DPI, Chart, markdown_text, new_figure
from sim.reports.run_files import write_outputs

#: A scenario whose name, pledge id and donor name are each a script for a page that passes HTML
#: through.
HOSTILE = """\
[scenario]
name = "<script>alert(1)</script>"
extends = "udcg-2026"

[aid.donors."<img src=x onerror=alert(2)>"]

[[aid.pledges]]
id = "<iframe src=javascript:alert(3)>"
donor = "<img src=x onerror=alert(2)>"
amount = 1e9
month = "2026-03"
"""


def _unescape(markdown: str) -> str:
    """What a CommonMark renderer shows of ``markdown_text``'s output."""
    text = re.sub(r"\\(.)", r"\1", markdown)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@given(st.text())
def test_markdown_text_shows_any_text_as_written_on_one_line(text: str) -> None:
    shown = markdown_text(text)
    assert "<" not in shown and ">" not in shown and "\n" not in shown
    # Every Markdown punctuation mark is escaped, so none starts a structure.
    assert not re.search(r"(?<!\\)(\\\\)*[`*_\[\]|~#!$]", shown.replace("\\\\", ""))
    assert _unescape(shown) == " ".join(text.splitlines())


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    (root / "hostile.toml").write_text(HOSTILE, encoding="utf-8")
    results = sim.run(sim.load_scenario(root / "hostile.toml"), draws=200, seed=1)
    write_outputs(results, root / "run")
    return root / "run"


def test_report_escapes_scenario_name_pledge_ids_and_donor_names(hostile_run, capsys) -> None:
    status, _, err = summit(capsys, "report", str(hostile_run))
    assert status == 0, err
    markdown = (hostile_run / "report.md").read_text(encoding="utf-8")
    page = (hostile_run / "report.html").read_text(encoding="utf-8")
    for tag in ("<script", "<img src=x", "<iframe"):  # the page's own images: <img alt=...
        assert tag not in markdown
        assert tag not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "&lt;iframe src=javascript:alert(3)&gt;" in markdown
    assert "&lt;img src=x onerror=alert(2)&gt;" in markdown


def test_a_scenario_name_with_dollars_and_backslashes_reports(tmp_path, capsys) -> None:
    """matplotlib's mathtext would fail on ``$\\bn$``; the name is drawn as written."""
    scenario = tmp_path / "savings.toml"
    scenario.write_text('[scenario]\nname = "Savings $\\\\bn$ plan"\nextends = "baseline"\n',
                        encoding="utf-8")
    write_outputs(sim.run(sim.load_scenario(scenario), draws=100, seed=1), tmp_path / "run")
    status, _, err = summit(capsys, "report", str(tmp_path / "run"))
    assert status == 0, err
    assert "Savings \\$\\\\bn\\$ plan" in (tmp_path / "run" / "report.md").read_text()


def _title_png(title: str, *, parse_math: bool | None = None) -> bytes:
    drawing = new_figure(3, 1)
    text = drawing.suptitle(title)
    if parse_math is not None:
        text.set_parse_math(parse_math)
    return Chart.draw("t", "t", drawing).png


def _as_mathematics(title: str) -> bytes:
    """The oracle: the title drawn as Matplotlib draws it by default, as mathtext."""
    drawing = new_figure(3, 1)
    drawing.suptitle(title)
    buffer = io.BytesIO()
    drawing.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def test_a_chart_draws_dollar_signs_as_written_not_as_mathematics() -> None:
    drawn = _title_png("$x^2$")
    assert drawn == _title_png("$x^2$", parse_math=False)
    assert drawn != _as_mathematics("$x^2$")
    assert _title_png("x^2") == _as_mathematics("x^2")  # no dollars: the same drawing
