"""The interactive briefing: one self-contained HTML page of charts a reader can hover and steer.

``summit report DIR --interactive`` writes :data:`~sim.files.INTERACTIVE_NAME` beside the static
briefing, for a run folder (the alliance fan, each ally's shares, P(goal) and P(core) per ally,
the shortfall, and aid delivered against needs) or a sweep folder (a metric of every variant
against each swept input, and the Sobol indices of a Sobol sweep). Like the static briefing it
reads only the folder's files and never reruns a simulation.

Each chart is a Vega-Lite specification built with Altair; vl-convert supplies Vega, Vega-Lite
and vega-embed as one JavaScript bundle, inlined in the page with the specifications, so the
page opens offline and makes no network request (vega-embed's menu, which links to the online
editor, is off). Both are the ``interactive`` extra, imported only here.

Text a user wrote (a scenario's name, an ally's name, a sweep input) reaches the page in two
ways, each escaped: headings and paragraphs through :func:`html.escape`, and the charts'
specifications and data as JSON whose ``<``, ``>`` and ``&`` are written ``\\u003c``,
``\\u003e`` and ``\\u0026`` (:func:`script_json`), so that no text can close the inline script.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import fields
from sim.analysis import StoredRun, read_run
from sim.errors import OptionError, ResultsError
from sim.files import (
    AID_NAME,
    INTERACTIVE_NAME,
    SUMMARY_NAME,
    atomic_write_text,
    folder_kind,
    read_table,
)

if TYPE_CHECKING:
    import altair as alt

CORE_COLOUR, TOTAL_COLOUR, NEEDS_COLOUR, ALLIANCE_COLOUR = \
    "#1f4e9c", "#d9822b", "#6b6b6b", "#444444"
_QUANTILES = ("p05", "p25", "p50", "p75", "p95")
_MEASURES = {"core": "core", "total": "core + related (total)"}
#: What the extra is called in pyproject.toml, for the one-line error without it.
EXTRA = "interactive"


def require_interactive() -> None:
    """Raise :class:`~sim.errors.OptionError` unless Altair and vl-convert are installed."""
    try:
        import altair  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError:
        raise OptionError(f"--interactive needs altair and vl-convert-python: install "
                          f"summit-sim[{EXTRA}]") from None


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside an inline ``<script>``: ``<``, ``>`` and ``&``
    (which could close the script or open a comment) and the two line separators JavaScript
    once refused in a string are written as ``\\u`` escapes, which JSON reads back unchanged."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


# --- the page ----------------------------------------------------------------------------------


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #1a1a1a; line-height: 1.45; }
h1 { margin-bottom: 0.1em; } .subtitle { color: #555; margin-top: 0; }
figure { margin: 1.5em 0; } figcaption { color: #444; font-size: 0.9em; }
.chart { min-height: 120px; } .vega-bindings { margin: 0.4em 0; font-size: 0.9em; }
.vega-bind { margin-right: 1.2em; display: inline-block; }
footer { color: #555; font-size: 0.85em; }
"""


class InteractivePage:
    """A page of sections, each a heading, paragraphs and charts (name, Altair chart, caption)."""

    def __init__(self, title: str, subtitle: str) -> None:
        self.title, self.subtitle = title, subtitle
        self.sections: list[tuple[str, list[str], list[tuple[str, Any, str]]]] = []
        self.footnotes: list[str] = []

    def section(self, heading: str, *paragraphs: str) -> None:
        self.sections.append((heading, list(paragraphs), []))

    def chart(self, name: str, chart: alt.TopLevelMixin, caption: str = "") -> None:
        """Add ``chart`` to the last section, shown in the container ``chart-NAME``."""
        self.sections[-1][2].append((name, chart, caption))

    def html(self) -> str:
        """The whole page: the JavaScript bundle, the text, and one container per chart."""
        import altair as alt
        import vl_convert

        # vl-convert names a Vega-Lite version as v5_20, Altair's schema as v5.20.1.
        version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
        bundle = vl_convert.javascript_bundle(
            snippet="window.vegaEmbed = vegaEmbed;", vl_version=version)
        if "</script" in bundle.lower():  # the bundle would end the page's script early
            raise RuntimeError("vl-convert's JavaScript bundle contains '</script'")
        specs: dict[str, Any] = {}
        body = [f"<h1>{html.escape(self.title)}</h1>",
                f'<p class="subtitle">{html.escape(self.subtitle)}</p>']
        for heading, paragraphs, charts in self.sections:
            body.append(f"<section>\n<h2>{html.escape(heading)}</h2>")
            body += [f"<p>{html.escape(text)}</p>" for text in paragraphs]
            for name, chart, caption in charts:
                spec = chart.to_dict()
                # The schema's address names the version only; the mode below says it, and
                # the page then holds no address at all.
                del spec["$schema"]
                specs[f"chart-{name}"] = spec
                shown = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
                body.append(f'<figure><div class="chart" id="chart-{name}"></div>{shown}'
                            "</figure>")
            body.append("</section>")
        if self.footnotes:
            body.append("<footer>" + "".join(f"<p>{html.escape(n)}</p>"
                                             for n in self.footnotes) + "</footer>")
        options = {"actions": False, "mode": "vega-lite", "renderer": "svg"}
        embed = (f"const specs = {script_json(specs)};\n"
                 f"const options = {script_json(options)};\n"
                 "for (const [id, spec] of Object.entries(specs)) {\n"
                 "  vegaEmbed(document.getElementById(id), spec, options)"
                 ".catch((error) => console.error(error));\n}\n")
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<title>{html.escape(self.title)}</title>\n<style>{_STYLE}</style>\n"
                f"<script>\n{bundle}\n</script>\n</head>\n<body>\n" + "\n".join(body)
                + f"\n<script>\n{embed}</script>\n</body>\n</html>\n")


def _values(frame: pd.DataFrame) -> alt.Data:
    """``frame``'s rows inlined in a chart (NaN as null): no row limit, no column renamed."""
    import altair as alt

    return alt.Data(values=json.loads(frame.to_json(orient="records", double_precision=8)))


def _year_axis(years: list[int]) -> alt.Axis:
    import altair as alt

    return alt.Axis(format="d", values=years, labelAngle=0, title="year")


def _measure_colour(title: str = "measure") -> alt.Color:
    import altair as alt

    return alt.Color("measure_label:N", title=title, scale=alt.Scale(
        domain=list(_MEASURES.values()), range=[CORE_COLOUR, TOTAL_COLOUR]))


def _shown_param(name: str, options: dict[str, str], value: str) -> alt.Parameter:
    """A radio button over ``options`` (value: label), its value the signal ``name``."""
    import altair as alt

    return alt.param(name=name, value=value, bind=alt.binding_radio(
        options=list(options), labels=list(options.values()), name="show: "))


# --- a run -------------------------------------------------------------------------------------


class _Run:
    """What the run page draws, read from the run folder (:func:`sim.analysis.read_run`)."""

    def __init__(self, folder: Path) -> None:
        self.stored: StoredRun = read_run(folder)
        summary, path = self.stored.summary, folder / SUMMARY_NAME
        self.path = path
        self.scenario = fields.text(summary, "scenario", path)
        self.core, self.total = (fields.number(summary, f"goal.{k}", path)
                                 for k in ("core", "total"))
        self.year = fields.whole(summary, "goal.year", path)
        self.review = fields.whole(summary, "goal.review_year", path)
        self.draws = fields.whole(summary, "draws", path, lowest=1)
        self.base_year = fields.whole(summary, "base_year", path)
        self.names: dict[str, str] = {}
        for code, ally in fields.table(summary, "allies", path).items():
            assessed = fields.checked_table(ally, f"allies.{code}", path).get("assessed", True)
            if not isinstance(assessed, bool):
                raise ResultsError(path, f"allies.{code}.assessed",
                                   f"must be true or false, got {assessed!r:.40}")
            if assessed:
                self.names[code] = str(ally.get("name", code))
        if not self.names:
            raise ResultsError(path, "allies", "holds no assessed ally: nothing to chart")
        self.frame = self.stored.frame()
        self.bands = self.stored.bands()
        self.aid: pd.DataFrame | None = None
        if summary.get("aid") is not None:
            columns = ["year", "p_needs_met", "p_needs_met_lo", "p_needs_met_hi",
                       *(f"{n}_{q}" for n in ("needs_usd", "delivered_usd") for q in _QUANTILES)]
            self.aid = read_table(folder / AID_NAME, columns)
            fields.numeric_columns(self.aid, columns, folder / AID_NAME)

    def band_rows(self, entities: list[str]) -> pd.DataFrame:
        """The share bands of ``entities``, one row per entity, measure and year."""
        rows = self.bands[self.bands["entity"].isin(entities)
                          & self.bands["measure"].isin(list(_MEASURES))].copy()
        rows["measure_label"] = rows["measure"].map(_MEASURES)
        rows["name"] = rows["entity"].map(lambda code: self.names.get(code, "alliance"))
        return rows

    def probability(self, entity: str, measure: str) -> tuple[float, float, float]:
        rows = self.frame[(self.frame["entity"] == entity) & (self.frame["measure"] == measure)
                          & self.frame["quantile"].isna()]
        if rows.empty:
            where = "probabilities" if entity == "alliance" else f"allies.{entity}"
            raise ResultsError(self.path, f"{where}.{measure}", "missing")
        row = rows.iloc[0]
        return float(row["value"]), float(row["ci95_lo"]), float(row["ci95_hi"])


def _band_layers(base: alt.Chart, years: list[int], colour: alt.Color) -> alt.LayerChart:
    """The 90% and 50% bands and the median of ``base``'s rows, with every value on hover."""
    import altair as alt

    x = alt.X("year:Q", axis=_year_axis(years), scale=alt.Scale(domain=[min(years),
                                                                         max(years)]))
    tooltip = [alt.Tooltip("name:N", title="who"), alt.Tooltip("measure_label:N",
                                                                title="measure"),
               alt.Tooltip("year:Q", format="d"),
               *(alt.Tooltip(f"{q}:Q", format=".2f", title=f"{q} (% of GDP)")
                 for q in _QUANTILES)]
    wide = base.mark_area(opacity=0.15).encode(x=x, y=alt.Y("p05:Q"), y2="p95:Q", color=colour)
    inner = base.mark_area(opacity=0.3).encode(x=x, y="p25:Q", y2="p75:Q", color=colour)
    median = base.mark_line(strokeWidth=2).encode(x=x, y="p50:Q", color=colour)
    points = base.mark_point(filled=True, size=40).encode(x=x, y="p50:Q", color=colour,
                                                          tooltip=tooltip)
    return alt.LayerChart(layer=[wide, inner, median, points])


def _goal_marks(run: _Run, years: list[int]) -> alt.LayerChart:
    """The core and total goal lines and the review and goal years, labelled."""
    import altair as alt

    goals = pd.DataFrame({"value": [run.core, run.total],
                          "label": [f"{run.core:g}% core goal", f"{run.total:g}% total goal"],
                          "measure_label": list(_MEASURES.values())})
    lines = alt.Chart(_values(goals)).mark_rule(strokeDash=[6, 4]).encode(
        y="value:Q", color=_measure_colour(), tooltip=["label:N"])
    labels = alt.Chart(_values(goals)).mark_text(align="left", dx=4, dy=-6).encode(
        y="value:Q", text="label:N", x=alt.datum(min(years)))
    marks = pd.DataFrame({"year": [run.review, run.year],
                          "label": [f"{run.review} review", f"{run.year} goal year"]})
    marks = marks[marks["year"].between(min(years), max(years))]
    years_rule = alt.Chart(_values(marks)).mark_rule(color="black", opacity=0.5).encode(
        x="year:Q", tooltip=["label:N"])
    years_text = alt.Chart(_values(marks)).mark_text(align="right", dx=-4, baseline="top",
                                                     y=4).encode(x="year:Q", text="label:N")
    return alt.LayerChart(layer=[lines, labels, years_rule, years_text])


def _fan(run: _Run) -> alt.TopLevelMixin:
    import altair as alt

    rows = run.band_rows(["alliance"])
    years = sorted(int(y) for y in rows["year"].unique())
    shown = _shown_param("fan_measure", {"both": "core and total", **_MEASURES}, "both")
    base = alt.Chart(_values(rows)).transform_filter(
        "fan_measure == 'both' || datum.measure == fan_measure")
    return alt.layer(_band_layers(base, years, _measure_colour()), _goal_marks(run, years)) \
        .add_params(shown).encode(y=alt.Y(title="% of GDP (USD-weighted, assessed allies)")) \
        .properties(width=900, height=380, title=f"Alliance defence spending, {run.scenario}: "
                    "median, 50% and 90% bands")


def _ally_shares(run: _Run) -> alt.TopLevelMixin:
    import altair as alt

    codes = list(run.names)
    rows = run.band_rows(codes)
    years = sorted(int(y) for y in rows["year"].unique())
    chosen = alt.param(name="ally", value=codes[0], bind=alt.binding_select(
        options=codes, labels=[f"{c} {run.names[c]}" for c in codes], name="ally: "))
    shown = _shown_param("ally_measure", {"both": "core and total", **_MEASURES}, "both")
    base = alt.Chart(_values(rows)).transform_filter("datum.entity == ally").transform_filter(
        "ally_measure == 'both' || datum.measure == ally_measure")
    return alt.layer(_band_layers(base, years, _measure_colour()), _goal_marks(run, years)) \
        .add_params(chosen, shown).encode(y=alt.Y(title="% of GDP")) \
        .properties(width=900, height=340, title="The chosen ally's core and total share: "
                    "median, 50% and 90% bands")


def _p_goal(run: _Run) -> alt.TopLevelMixin:
    import altair as alt

    rows = []
    for code, name in run.names.items():
        for measure, label in (("p_meet_goal", f"P(goal: {run.core:g}% core and "
                                               f"{run.total:g}% total)"),
                               ("p_meet_core", f"P(core goal: {run.core:g}%)")):
            p, low, high = run.probability(code, measure)
            rows.append({"ally": code, "name": name, "which": measure, "label": label,
                         "p": p, "low": low, "high": high})
    frame = pd.DataFrame(rows)
    order = (frame[frame["which"] == "p_meet_goal"].sort_values("p", ascending=False)["ally"]
             .tolist())
    shown = _shown_param("p_which", {"both": "both", "p_meet_goal": "P(goal)",
                                     "p_meet_core": "P(core goal)"}, "both")
    base = alt.Chart(_values(frame)).transform_filter(
        "p_which == 'both' || datum.which == p_which")
    y = alt.Y("ally:N", sort=order, title=None)
    colour = alt.Color("label:N", title=None, scale=alt.Scale(
        domain=sorted(frame["label"].unique(), reverse=True),
        range=[TOTAL_COLOUR, CORE_COLOUR]), legend=alt.Legend(orient="bottom"))
    tooltip = [alt.Tooltip("ally:N"), alt.Tooltip("name:N"), alt.Tooltip("label:N", title="what"),
               alt.Tooltip("p:Q", format=".3f", title="probability"),
               alt.Tooltip("low:Q", format=".3f", title="95% low"),
               alt.Tooltip("high:Q", format=".3f", title="95% high")]
    offset = alt.YOffset("label:N")
    whiskers = base.mark_rule().encode(x=alt.X("low:Q", scale=alt.Scale(domain=[0, 1]),
                                               title=f"probability in {run.year}, with 95% "
                                                     "interval"),
                                       x2="high:Q", y=y, yOffset=offset, color=colour)
    points = base.mark_point(filled=True, size=50).encode(x="p:Q", y=y, yOffset=offset,
                                                          color=colour, tooltip=tooltip)
    p, low, high = run.probability("alliance", "alliance_meets_goal")
    return alt.layer(whiskers, points).add_params(shown).properties(
        width=800, height=alt.Step(12),
        title=f"P(each ally meets the goal in {run.year}); the alliance: {p:.2f} "
              f"[{low:.2f}-{high:.2f}]")


def _shortfall(run: _Run) -> alt.TopLevelMixin:
    import altair as alt

    rows = []
    for code, name in run.names.items():
        for measure, goal in (("total", run.total), ("core", run.core)):
            q = fields.quantiles(run.stored.summary, f"allies.{code}.{measure}_shortfall_usd_"
                                 f"{run.year}", run.path)
            rows.append({"ally": code, "name": name, "measure": measure,
                         "measure_label": f"to {goal:g}% {measure}",
                         **{k: q[k] / 1e9 for k in ("p05", "p50", "p95")}})
    frame = pd.DataFrame(rows)
    order = frame[frame["measure"] == "total"].sort_values(["p50", "p95"], ascending=False)[
        "ally"].tolist()
    shown = _shown_param("shortfall_measure", {"total": f"to {run.total:g}% total",
                                               "core": f"to {run.core:g}% core"}, "total")
    base = alt.Chart(_values(frame)).transform_filter("datum.measure == shortfall_measure")
    y = alt.Y("ally:N", sort=order, title=None)
    tooltip = [alt.Tooltip("ally:N"), alt.Tooltip("name:N"),
               alt.Tooltip("measure_label:N", title="shortfall"),
               *(alt.Tooltip(f"{q}:Q", format=",.2f", title=f"{q} (USD bn)")
                 for q in ("p05", "p50", "p95"))]
    bars = base.mark_bar(color=TOTAL_COLOUR, height=12).encode(
        x=alt.X("p50:Q", title=f"USD bn (current) in {run.year}, linear: drag to pan, "
                               "scroll to zoom"), y=y, tooltip=tooltip)
    whiskers = base.mark_rule().encode(x="p05:Q", x2="p95:Q", y=y, tooltip=tooltip)
    return alt.layer(bars, whiskers).add_params(shown).interactive(bind_y=False).properties(
        width=800, height=alt.Step(18),
        title=f"Shortfall to the goal in {run.year} by ally: median, 5-95% whiskers "
              "(0 where met)")


def _aid(aid: pd.DataFrame) -> tuple[alt.TopLevelMixin, alt.TopLevelMixin]:
    import altair as alt

    rows = []
    for record in aid.to_dict(orient="records"):
        for name, label in (("needs_usd", "needed"), ("delivered_usd", "delivered")):
            rows.append({"year": int(record["year"]), "what": label,
                         **{q: record[f"{name}_{q}"] / 1e9 for q in _QUANTILES}})
    frame = pd.DataFrame(rows)
    x = alt.X("year:O", title="year", axis=alt.Axis(labelAngle=0))
    colour = alt.Color("what:N", title=None, scale=alt.Scale(
        domain=["needed", "delivered"], range=[NEEDS_COLOUR, CORE_COLOUR]))
    tooltip = [alt.Tooltip("year:O"), alt.Tooltip("what:N"),
               *(alt.Tooltip(f"{q}:Q", format=",.1f", title=f"{q} (USD bn)")
                 for q in _QUANTILES)]
    base = alt.Chart(_values(frame))
    offset = alt.XOffset("what:N", sort=["needed", "delivered"])
    bars = base.mark_bar(opacity=0.85).encode(
        x=x, xOffset=offset, y=alt.Y("p50:Q", title="USD bn (current)"), color=colour,
        tooltip=tooltip)
    inner = base.mark_rule(strokeWidth=5, color="black").encode(
        x=x, xOffset=offset, y="p25:Q", y2="p75:Q", tooltip=tooltip)
    outer = base.mark_rule(color="black").encode(x=x, xOffset=offset, y="p05:Q", y2="p95:Q",
                                                 tooltip=tooltip)
    delivered = alt.layer(bars, inner, outer).properties(
        width=alt.Step(90), height=300, title="Military aid to Ukraine delivered (not pledged) "
        "against yearly needs: median, 50% (thick) and 90% (thin) ranges")
    met = aid[["year", "p_needs_met", "p_needs_met_lo", "p_needs_met_hi"]].copy()
    met_base = alt.Chart(_values(met))
    met_tooltip = [alt.Tooltip("year:O"),
                   alt.Tooltip("p_needs_met:Q", format=".3f", title="P(needs met)"),
                   alt.Tooltip("p_needs_met_lo:Q", format=".3f", title="95% low"),
                   alt.Tooltip("p_needs_met_hi:Q", format=".3f", title="95% high")]
    whiskers = met_base.mark_rule(color=CORE_COLOUR).encode(
        x=x, y=alt.Y("p_needs_met_lo:Q", scale=alt.Scale(domain=[0, 1]),
                     title="P(needs met), with 95% interval"),
        y2="p_needs_met_hi:Q", tooltip=met_tooltip)
    points = met_base.mark_point(filled=True, size=80, color=CORE_COLOUR).encode(
        x=x, y="p_needs_met:Q", tooltip=met_tooltip)
    labels = met_base.mark_text(dy=-12).encode(x=x, y="p_needs_met:Q",
                                               text=alt.Text("p_needs_met:Q", format=".2f"))
    probability = alt.layer(whiskers, points, labels).properties(
        width=alt.Step(90), height=200, title="Probability the year's needs are met")
    return delivered, probability


def run_interactive_page(run_dir: str | Path) -> InteractivePage:
    """The interactive page of the run folder ``run_dir`` (written by ``summit run --out``)."""
    run = _Run(Path(run_dir))
    page = InteractivePage(
        f"summit-sim interactive briefing: {run.scenario}",
        f"The Hague goal of {run.core:g}% core and {run.total:g}% total of GDP by {run.year}: "
        f"{run.draws:,} Monte Carlo draws from {run.base_year}. Hover over a point for its "
        "values; the buttons and lists under a chart change what it shows.")
    page.section("The alliance",
                 "Core (NATO definition) and core plus defence- and security-related spending, "
                 "as a share of the assessed allies' summed GDP, against the goal lines; the "
                 f"vertical lines mark the {run.review} review and the goal year {run.year}.")
    page.chart("alliance-fan", _fan(run))
    page.section("Each ally", "Choose an ally in the list to see its bands.")
    page.chart("ally-shares", _ally_shares(run))
    page.chart("p-goal", _p_goal(run), "Each point is a probability estimated from the draws; "
               "the line through it is its 95% Wilson interval.")
    page.chart("shortfall", _shortfall(run), "The USD spending missing in the goal year to "
               "reach the goal, zero where it is met.")
    if run.aid is not None:
        page.section("Aid to Ukraine", "What counts is aid delivered in the year, after donor "
                     "reliability, contracting lags and production capacity.")
        delivered, probability = _aid(run.aid)
        page.chart("aid-delivered", delivered)
        page.chart("aid-needs-met", probability)
    page.footnotes.append(f"Read from {Path(run_dir).name}: summary.json and bands.csv"
                          + (" and aid.csv" if run.aid is not None else "")
                          + "; the static briefing report.html holds the tables and sources.")
    return page


# --- a sweep -----------------------------------------------------------------------------------


def _sweep_scatter(ok: pd.DataFrame, inputs: list[str], metrics: list[str]) -> alt.TopLevelMixin:
    """Each variant's metric against a swept input, both chosen in a list."""
    import altair as alt

    from sim.reports.sweep_briefing import metric_words, parameter_words

    # Columns renamed x0.., m0..: a dotted input key would read as a nested field in Vega-Lite.
    columns = {"index": "variant"}
    columns |= {key: f"x{n}" for n, key in enumerate(inputs)}
    for n, metric in enumerate(metrics):
        columns |= {metric: f"m{n}", f"{metric}_lo": f"m{n}_lo", f"{metric}_hi": f"m{n}_hi"}
    frame = ok[list(columns)].rename(columns=columns)
    chosen = alt.param(name="sweep_metric", value="m0", bind=alt.binding_select(
        options=[f"m{n}" for n in range(len(metrics))],
        labels=[metric_words(m) for m in metrics], name="metric: "))
    swept = alt.param(name="sweep_input", value="x0", bind=alt.binding_select(
        options=[f"x{n}" for n in range(len(inputs))],
        labels=[parameter_words(k) for k in inputs], name="against: "))
    base = alt.Chart(_values(frame)).transform_calculate(
        value="datum[sweep_input]", metric="datum[sweep_metric]",
        low="datum[sweep_metric + '_lo']", high="datum[sweep_metric + '_hi']")
    x = alt.X("value:Q", title="the swept input chosen above", scale=alt.Scale(zero=False))
    tooltip = [alt.Tooltip("variant:Q", format="d"), alt.Tooltip("value:Q", title="input"),
               alt.Tooltip("metric:Q", format=".3f", title="probability"),
               alt.Tooltip("low:Q", format=".3f", title="95% low"),
               alt.Tooltip("high:Q", format=".3f", title="95% high")]
    whiskers = base.mark_rule(opacity=0.3, color=CORE_COLOUR).encode(
        x=x, y=alt.Y("low:Q", scale=alt.Scale(domain=[0, 1]),
                     title="the metric chosen above, with 95% interval"), y2="high:Q")
    points = base.mark_point(filled=True, size=30, color=CORE_COLOUR).encode(
        x=x, y="metric:Q", tooltip=tooltip)
    return alt.layer(whiskers, points).add_params(chosen, swept).properties(
        width=800, height=380, title="One point per variant")


def _sobol(found: dict[str, pd.DataFrame]) -> alt.TopLevelMixin:
    import altair as alt

    from sim.reports.sweep_briefing import metric_words, parameter_words

    rows = []
    for metric, frame in found.items():
        for key, row in frame.iterrows():
            for index in ("S1", "ST"):
                rows.append({"metric": metric, "input": parameter_words(str(key)),
                             "index": index, "value": row[index], "low": row[f"{index}_lo"],
                             "high": row[f"{index}_hi"]})
    metrics = list(found)
    chosen = alt.param(name="sobol_metric", value=metrics[0], bind=alt.binding_select(
        options=metrics, labels=[metric_words(m) for m in metrics], name="metric: "))
    base = alt.Chart(_values(pd.DataFrame(rows))).transform_filter(
        "datum.metric == sobol_metric")
    inputs = list(dict.fromkeys(row["input"] for row in rows))
    # The same sorts in both layers: Vega-Lite warns when layers' domains sort differently.
    y = alt.Y("input:N", title=None, sort=inputs)
    offset = alt.YOffset("index:N", sort=["S1", "ST"])
    colour = alt.Color("index:N", title="index", scale=alt.Scale(
        domain=["S1", "ST"], range=[CORE_COLOUR, TOTAL_COLOUR]))
    tooltip = [alt.Tooltip("input:N"), alt.Tooltip("index:N"),
               alt.Tooltip("value:Q", format=".3f"),
               alt.Tooltip("low:Q", format=".3f", title="95% low"),
               alt.Tooltip("high:Q", format=".3f", title="95% high")]
    bars = base.mark_bar().encode(
        x=alt.X("value:Q", title="share of the variance across variants"), y=y,
        yOffset=offset, color=colour, tooltip=tooltip)
    whiskers = base.mark_rule(color="#222222").encode(x="low:Q", x2="high:Q", y=y,
                                                      yOffset=offset, tooltip=tooltip)
    return alt.layer(bars, whiskers).add_params(chosen).properties(
        width=800, height=alt.Step(20), title="Sobol indices: first order (S1) and total "
                                              "order (ST), with 95% intervals")


def sweep_interactive_page(sweep_dir: str | Path) -> InteractivePage:
    """The interactive page of the sweep folder ``sweep_dir`` (written by ``summit sweep``)."""
    from sim.reports.sweep_briefing import METRIC, SOBOL_METRICS, metrics_of, read_sweep
    from sim.sweeps.sensitivity import check_saltelli, sobol_indices

    record, table = read_sweep(sweep_dir)
    # The static report's metric first: the one the chart shows when the page opens.
    metrics = sorted(metrics_of(table, record), key=lambda m: m != METRIC)
    ok = table[table["status"] == "ok"]
    page = InteractivePage(
        f"Sweep of {record.base}: interactive",
        f"{len(ok)} variants of the {record.base} scenario on a {record.design} design, "
        f"{record.draws:,} Monte Carlo draws each. Hover over a point for its values; the lists "
        "under a chart change what it shows.")
    inputs = [p.key for p in record.parameters if pd.api.types.is_numeric_dtype(ok[p.key])]
    left_out = [p.key for p in record.parameters if p.key not in inputs]
    page.section("Each metric against each swept input",
                 "Each point is one variant; the spread at a given value comes from the other "
                 "inputs (and a little from Monte Carlo noise).",
                 *(["Not shown (not numbers): " + ", ".join(left_out) + "."] if left_out else []))
    if len(ok) and inputs and metrics:
        page.chart("sweep-scatter", _sweep_scatter(ok, inputs, metrics))
    else:
        page.sections[-1][1].append("No variant ran, or no input is a number: nothing to show.")
    if record.design == "sobol":
        keys = [p.key for p in record.parameters]
        found: dict[str, pd.DataFrame] = {}
        notes = []
        try:
            check_saltelli(table, keys)
        except OptionError as err:
            notes.append(f"No Sobol indices: {err}")
        else:
            for name in (*SOBOL_METRICS, *(m for m in metrics
                                           if m.startswith("ukraine_needs_met_"))):
                if name in metrics:
                    try:
                        found[name] = sobol_indices(table, keys, name, seed=record.seed)
                    except OptionError as err:
                        notes.append(f"{name}: no indices, {err}.")
        page.section("Which assumptions matter most (Sobol indices)",
                     "S1 (first order) is the share of the variance across variants an input "
                     "explains on its own; ST (total order) adds what it does together with "
                     "the others.", *notes)
        if found:
            page.chart("sobol-indices", _sobol(found))
    return page


def write_interactive(folder: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write :data:`~sim.files.INTERACTIVE_NAME` for the run or sweep ``folder`` into
    ``out_dir`` (default: the folder itself); returns its path.

    Needs the ``interactive`` extra (:class:`~sim.errors.OptionError` without it); a folder
    that is neither a run nor a sweep, or a malformed file in it, is a
    :class:`~sim.errors.ResultsError`.
    """
    require_interactive()
    source = Path(folder)
    page = (run_interactive_page(source) if folder_kind(source) == "run"
            else sweep_interactive_page(source))
    out = Path(source if out_dir is None else out_dir) / INTERACTIVE_NAME
    atomic_write_text(out, page.html())
    return out
