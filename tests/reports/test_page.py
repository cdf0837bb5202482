"""Tests of sim.reports.page: PNG files, the self-contained HTML page and the Markdown summary."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from page_checks import png_size

from sim.reports.page import (
    Chart,
    Page,
    Section,
    Table,
    html_page,
    markdown_table,
    new_figure,
    write_page,
)


def _page() -> Page:
    drawing = new_figure(4, 3)
    axes = drawing.add_subplot()
    axes.plot([2026, 2035], [2.0, 3.5])
    axes.set_title("a <line> & more")
    chart = Chart.draw("line", "A <line>", drawing, caption="caption & note")
    frame = pd.DataFrame({"p": [0.5, 0.0001], "name": ["a|b", "c"]},
                         index=pd.Index(["DEU", "POL"], name="ally"))
    return Page("Title & co", "subtitle", (
        Section("One", ("text <b>",), (chart,), (Table("numbers", frame, "a note"),)),
    ), footnotes=("Source: NATO, July 2026",))


def test_write_page_writes_png_html_and_markdown(tmp_path):
    written = write_page(_page(), tmp_path)
    assert [p.name for p in written] == ["report.html", "report.md", "line.png"]
    assert png_size((tmp_path / "line.png").read_bytes()) == (600, 450)  # 4 x 3 in, 150 dpi
    text = (tmp_path / "report.html").read_text()
    # Only embedded images: every src is a data: URI, and it holds the very PNG written.
    sources = re.findall(r'src="([^"]*)"', text)
    assert len(sources) == 1 and sources[0].startswith("data:image/png;base64,")
    assert "line.png" not in text
    assert "text &lt;b&gt;" in text and "Title &amp; co" in text
    markdown = (tmp_path / "report.md").read_text()
    assert "![A &lt;line&gt;](line.png)" in markdown
    assert "> Source: NATO, July 2026" in markdown
    assert not list(tmp_path.glob(".*.tmp"))


def test_pngs_are_reproducible():
    assert _page().charts[0].png == _page().charts[0].png


def test_markdown_table_escapes_pipes_and_keeps_the_named_index():
    frame = pd.DataFrame({"p": [0.5, 0.0001], "name": ["a|b", "c"]},
                         index=pd.Index(["DEU", "POL"], name="ally"))
    assert markdown_table(frame).splitlines() == [
        "| ally | p | name |", "|---|---:|---|",
        "| DEU | 0.500 | a\\|b |", "| POL | <0.001 | c |"]


def test_duplicate_figure_names_are_refused(tmp_path):
    page = _page()
    twice = Page(page.title, page.subtitle, page.sections * 2)
    with pytest.raises(ValueError, match=r"line\.png"):
        write_page(twice, tmp_path)
    assert not list(tmp_path.iterdir())


def test_html_page_without_charts_has_no_images():
    page = Page("t", "s", (Section("only text", ("x",)),))
    assert "<img" not in html_page(page)


def test_one_name_per_concept_a_chart_is_a_png_a_figure_a_sourced_number():
    import sim.data.base
    import sim.reports.page

    assert not hasattr(sim.reports.page, "Figure")
    assert {"value", "source"} <= set(sim.data.base.Figure.__annotations__)


def test_html_tables_have_one_header_row_and_no_scientific_notation():
    frame = pd.DataFrame({"p": [0.5, 0.0001, -0.0002]},
                         index=pd.Index(["DEU", "POL", "ITA"], name="ally"))
    text = html_page(Page("t", "s", (Section("one", tables=(Table("n", frame),)),)))
    head = re.search(r"<thead>(.*?)</thead>", text, flags=re.S).group(1)
    assert head.count("<tr") == 1 and "<th>ally</th>" in head
    assert "e-0" not in text and "&lt;0.001" in text and "&gt;-0.001" in text


def test_points_follow_the_paragraphs_under_their_title():
    page = Page("t", "s", (Section("one", ("first",), points_title="Rests on",
                                   points=("a <b>", "c")),))
    text = html_page(page)
    assert text.index("first") < text.index("Rests on") < text.index("<li>a &lt;b&gt;</li>")
    from sim.reports.page import markdown_page

    assert "**Rests on**\n\n- a &lt;b&gt;\n- c" in markdown_page(page)
