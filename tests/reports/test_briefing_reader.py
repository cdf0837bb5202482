"""The run briefing as a reader sees it, checked through the charts' Matplotlib artists (colours,
tick labels, scales, legend texts) and the page's words, not pixels (issue 17, point 1)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba

from sim.reports.briefing import RunFolder, run_page, shortfall_chart
from sim.reports.page import html_page, markdown_page

YEARS = [str(y) for y in range(2026, 2036)]


@pytest.fixture(scope="module")
def baseline_page(baseline_run):
    """The baseline's briefing, drawn once for the module (the small multiples are slow)."""
    return run_page(baseline_run[1])


@pytest.fixture(scope="module")
def aid_page(aid_run):
    return run_page(aid_run[1])


def _chart(page, name):
    chart = next(c for c in page.charts if c.name == name)
    assert chart.figure is not None
    return chart.figure


def _legend_texts(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def _bands(axes) -> dict[str, tuple[float, ...]]:
    return {c.get_label(): to_rgba(c.get_facecolor()[0]) for c in axes.collections
            if isinstance(c, PolyCollection) and not c.get_label().startswith("_")}


def _vertical_lines(axes) -> dict[float, str]:
    lines = {}
    for line in axes.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        if len(x) == 2 and x[0] == x[1]:
            lines[float(x[0])] = line.get_label()
    return lines


def test_the_fan_chart_bands_are_distinct_opaque_and_named_as_the_text_names_them(
        baseline_page):
    page = baseline_page
    axes = _chart(page, "alliance-fan").axes[0]
    bands = _bands(axes)
    assert set(bands) == {f"{m}: {b}% band" for m in ("core", "core + related")
                          for b in (50, 90)}
    # Four colours, none see-through: overlapping bands cannot mix into a fifth.
    assert len(set(bands.values())) == 4 and all(c[3] == 1.0 for c in bands.values())
    legend = _legend_texts(axes.get_legend())
    assert "core: median" in legend and "core + related: median" in legend
    assert "5% core + related goal" in legend
    assert not any(re.search(r"\btotal\b", text) for text in legend)
    # The text uses the legend's words.
    said = page.sections[0].paragraphs[0]
    assert "core + related" in said and "core defence" in said


def test_the_fan_chart_labels_every_year_and_marks_the_review_and_the_goal_year(
        baseline_page):
    axes = _chart(baseline_page, "alliance-fan").axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == YEARS
    low, high = axes.get_xlim()
    assert low < 2026 and high > 2035
    lines = _vertical_lines(axes)
    assert "review" in lines[2029.0] and "goal year" in lines[2035.0]


def test_the_small_multiples_are_ordered_by_p_goal_with_the_review_and_the_fan_legend(
        baseline_run, baseline_page):
    results, _ = baseline_run
    page = baseline_page
    figure = _chart(page, "allies-small-multiples")
    panels = [a for a in figure.axes if a.axison]
    assert len(panels) == len(results.codes) == 31
    shown = [a.get_title().split()[0] for a in panels]
    order = sorted(results.codes, key=lambda c: (-results.p_meet_goal(c).p, c))
    assert shown == order
    assert all("review" not in a.get_title() and 2029.0 in _vertical_lines(a) for a in panels)
    # Five columns; the last ally shares its row with the legend, in the empty cells.
    assert max(a.get_subplotspec().colspan.stop for a in figure.axes) == 5
    spare = [a for a in figure.axes if not a.axison]
    legends = [a.get_legend() for a in spare if a.get_legend() is not None]
    assert len(legends) == 1
    fan = _legend_texts(_chart(page, "alliance-fan").axes[0].get_legend())
    assert _legend_texts(legends[0]) == [t for t in fan if "goal year" not in t]
    assert not any(re.search(r"\btotal\b", t) for t in _legend_texts(legends[0]))
    ticks = [t.get_text() for t in panels[-1].get_xticklabels()]
    assert ticks == YEARS


def test_the_shortfall_chart_has_one_linear_scale_named_on_its_axis(baseline_page):
    axes = _chart(baseline_page, "shortfall").axes[0]
    assert axes.get_xscale() == "linear"
    assert "linear scale" in axes.get_xlabel()
    assert axes.get_xlim()[0] == 0


def test_a_whisker_past_the_shortfall_axis_is_cut_and_its_end_written(baseline_run):
    from sim.reports.briefing import shortfall_axis_end

    _, folder = baseline_run
    run = RunFolder(folder)
    frame = pd.DataFrame({"p05": [0.0, 10.0], "p50": [0.0, 30.0], "p95": [423.0, 50.0],
                          "core_p50": [0.0, 20.0]}, index=pd.Index(["USA", "ESP"], name="ally"))
    assert shortfall_axis_end(frame) == 60.0
    axes = shortfall_chart(run, frame).figure.axes[0]
    assert axes.get_xlim() == (0.0, 60.0)
    assert [t.get_text() for t in axes.texts] == ["→ 95%: $423bn"]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["USA  $0.0bn", "ESP  $30.0bn"]
    # Every median zero: the axis runs to the largest 95% quantile, nothing is cut.
    frame["p50"] = 0.0
    assert shortfall_axis_end(frame) == 423.0


def test_the_aid_chart_has_no_empty_panel_and_gives_p_needs_met_in_words(aid_page):
    figure = _chart(aid_page, "aid-delivered")
    assert len(figure.axes) == 1
    axes = figure.axes[0]
    ticks = [t.get_text() for t in axes.get_xticklabels()]
    assert len(ticks) == 1 and ticks[0].startswith("2026\nP(need met): 0% (0–")
    # udcg-2026 fixes the 2026 need: its legend claims no range.
    labels = _legend_texts(axes.get_legend())
    assert labels[0] == "needed: fixed by the scenario"
    assert "range" in labels[1]


def test_the_pledge_chart_plots_the_probability_of_delivery_not_of_firing(aid_run, aid_page):
    summary = json.loads((aid_run[1] / "summary.json").read_text(encoding="utf-8"))
    pledges = summary["aid"]["pledges"]
    axes = _chart(aid_page, "aid-triggers").axes[0]
    widths = sorted(round(p.get_width(), 12) for p in axes.patches)
    assert widths == sorted(round(p["p_delivered_any"]["p"], 12) for p in pledges.values())
    assert max(widths) < 0.8  # udcg-2026's donors deliver with probability 0.69 at most
    assert axes.xaxis.get_major_formatter()(0.5, 0) == "50%"
    ticks = next(line for line in axes.get_lines()
                 if line.get_label() == "P(the pledge fires)").get_xdata()
    assert sorted(ticks) == sorted(p["p_triggered"]["p"] for p in pledges.values())


def _all_tables(page):
    return [t for s in page.sections for t in s.tables]


def test_tables_have_plain_headers_percentages_and_no_scientific_notation(aid_page, tmp_path):
    page = aid_page
    for table in _all_tables(page):
        names = [table.frame.index.name, *table.frame.columns]
        for name in names:
            assert "_" not in str(name) and not re.search(r"\b(lo|hi|p\d\d)\b", str(name)), name
        cells = table.frame.astype(str).to_numpy().ravel()
        assert not {"True", "False"} & set(cells)
        assert not any(re.search(r"\d[eE][-+]\d", c) for c in cells)
    probabilities = _all_tables(page)[0].frame.iloc[:, 0]
    assert all(re.fullmatch(r"(<0\.1|>99\.9|\d+(\.\d)?)% \(\S+–\S+%\)", p) for p in probabilities)
    text = html_page(page) + markdown_page(page)
    assert not re.search(r"\d\.\d+e-0\d", text)
    # One header row per table: no stray row holding the index's name.
    assert all(head.count("<tr") == 1 for head in re.findall(r"<thead>(.*?)</thead>",
                                                                  text, flags=re.S))


def test_the_headline_is_one_paragraph_of_spending_and_aid(aid_page, baseline_page):
    said = aid_page.sections[0].paragraphs[0]
    assert said.startswith("In 2035 the alliance reaches 3.5% of GDP")
    assert "For Ukraine in 2026, a median $" in said and "against a need of $60.0bn" in said
    assert baseline_page.sections[0].paragraphs[0].endswith(
        "This scenario does not model aid to Ukraine.")


def test_what_the_answer_rests_on_comes_before_the_first_chart(aid_run, aid_page):
    results, _ = aid_run
    page = aid_page
    head = page.sections[0]
    assert head.points_title == "What the answer rests on"
    points = " ".join(head.points)
    calm = results.headline()["alliance_meets_core_without_threat_events"]
    assert f"{100 * calm.p:.1f}%" in points and "Threat events" in points
    assert "Related spending" in points and "US assumption" in points
    assert "Aid to Ukraine: needs fixed by the scenario at $60.0bn in 2026" in points
    assert "greatest fixed point" not in html_page(page)
    html = html_page(page)
    assert html.index("What the answer rests on") < html.index("<img")
    assert "- Threat events" in markdown_page(page)


def test_sources_name_publisher_document_and_date_before_the_route(baseline_page):
    notes = baseline_page.footnotes
    sources = next(n for n in notes if n.startswith("Sources"))
    assert "NATO, Defence Investment of NATO Countries (2014-2026)" in sources
    assert "github" not in sources.lower()
    route = next(n for n in notes if n.startswith("How the sources were read"))
    assert notes.index(route) > notes.index(sources) and "github" in route


@pytest.mark.parametrize("p, low, high, text", [
    (0.8412, 0.836, 0.846, "84.1% (83.6–84.6%)"),
    (0.0, 0.0, 0.000192, "0% (0–<0.1%)"),
    (1.0, 0.9998, 1.0, "100% (>99.9–100%)"),
    (0.0005, 0.0001, 0.001, "0.1% (<0.1–0.1%)"),
])
def test_probabilities_read_as_percentages(p, low, high, text):
    from sim.reports.page import percent_interval

    assert percent_interval(p, low, high) == text
