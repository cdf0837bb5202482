"""Briefing pages: charts as PNG files, one self-contained HTML page and a Markdown summary.

A report (of a run or of a sweep) is a :class:`Page`: sections of text, charts and tables. This
module turns one into files, so every report looks and behaves the same: each chart is drawn on
Matplotlib's non-interactive Agg canvas (no display, no global pyplot state) and written as a PNG;
the HTML page embeds the same PNGs as ``data:`` URIs, so it opens offline in any browser and
references no other file; the Markdown summary, for pasting into a brief, links the PNG files
beside it. Every file is written through a temporary file and a rename.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Collection
from pathlib import Path

import attrs
import matplotlib
import pandas as pd
from matplotlib.figure import Figure as MplFigure
from matplotlib.text import Text as MplText

from sim.files import (
    HTML_NAME,
    MARKDOWN_NAME,
    atomic_write_bytes,
    atomic_write_text,
    remove_stale,
)

#: Resolution of the PNG files; 10 x 6 inch charts come out 1500 x 900 pixels.
DPI = 150


def new_figure(width: float = 10.0, height: float = 6.0) -> MplFigure:
    """A blank figure on the Agg canvas, sized in inches, laid out to fit its labels."""
    return MplFigure(figsize=(width, height), layout="constrained")


def png_bytes(figure: MplFigure) -> bytes:
    """The figure as PNG bytes; no software version in the metadata, so reruns give equal files.

    Every text is drawn as written, never as mathtext: a scenario named ``Savings $\\bn$
    plan`` or a label with two dollar amounts would otherwise be parsed as TeX (and fail, or
    show ``$x^2$`` as a formula). The charts use no mathtext of their own.
    """
    buffer = io.BytesIO()
    # Texts made while drawing (tick labels) take the setting from rcParams.
    with matplotlib.rc_context({"text.parse_math": False}):
        for text in figure.findobj(MplText):
            text.set_parse_math(False)
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


@attrs.frozen
class Chart:
    """A drawn chart, a PNG: ``name`` is its file's stem (``fan-chart`` → ``fan-chart.png``)."""

    name: str
    title: str
    png: bytes = attrs.field(repr=False)
    caption: str = ""
    #: The Matplotlib figure the PNG was drawn from, kept so tests can read its artists
    #: (colours, tick labels, scales, legend texts) rather than pixels; not compared.
    figure: MplFigure | None = attrs.field(default=None, repr=False, eq=False)

    @classmethod
    def draw(cls, name: str, title: str, figure: MplFigure, caption: str = "") -> Chart:
        return cls(name, title, png_bytes(figure), caption, figure)

    @property
    def file_name(self) -> str:
        return f"{self.name}.png"


@attrs.frozen
class Table:
    """A table to show: a titled frame, its index shown as the first column when named."""

    title: str
    frame: pd.DataFrame = attrs.field(repr=False)
    note: str = ""


@attrs.frozen
class Section:
    """A heading, its paragraphs, then a titled list of points (what the answer rests on), its
    charts and its tables, in that order on the page."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    points_title: str = ""
    points: tuple[str, ...] = ()


@attrs.frozen
class Page:
    """A whole report: title, a line under it, sections, and footnotes (sources, caveats)."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footnotes: tuple[str, ...] = ()

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(c for s in self.sections for c in s.charts)


def _html_table(table: Table) -> str:
    # A named index as a plain first column: pandas would give its name a header row of its own.
    frame = table.frame.reset_index() if table.frame.index.name is not None else table.frame
    shown = frame.to_html(index=False, border=0, escape=True, na_rep="", float_format=_number,
                          classes="data")
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return f"<h3>{html.escape(table.title)}</h3>\n{shown}\n{note}"


def _number(value: float) -> str:
    """Three decimals; ``<0.001`` (or ``>-0.001``) for a number that would round to zero, so no
    reader meets scientific notation and no non-zero value reads as zero."""
    if 0 < abs(value) < 5e-4:
        return "<0.001" if value > 0 else ">-0.001"
    return f"{value:,.3f}"


def percent(p: float) -> str:
    """A probability as a percentage to one decimal, without the sign: ``84.1``; ``<0.1`` and
    ``>99.9`` for one that would round to 0 or 100 without being exactly that."""
    if 0 < p < 5e-4:
        return "<0.1"
    if 0.9995 <= p < 1:
        return ">99.9"
    return f"{100 * p:.1f}".removesuffix(".0") if p in (0, 1) else f"{100 * p:.1f}"


def percent_interval(p: float, low: float, high: float) -> str:
    """A probability and its 95% interval in percent: ``84.1% (83.6–84.6%)``."""
    return f"{percent(p)}% ({percent(low)}–{percent(high)}%)"


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #1a1a1a; line-height: 1.45; }
h1 { margin-bottom: 0.1em; } .subtitle { color: #555; margin-top: 0; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figure { margin: 1.5em 0; } figcaption { color: #444; font-size: 0.9em; }
table.data { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
table.data th, table.data td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd;
       text-align: right; }
table.data th:first-child, table.data td:first-child { text-align: left; }
.note, footer { color: #555; font-size: 0.85em; }
.points { background: #f4f6fa; border-left: 4px solid #1f4e9c; padding: 0.2em 1em; }
.points h3 { margin: 0.5em 0 0.2em; } .points li { margin: 0.25em 0; }
"""


def html_page(page: Page) -> str:
    """The page as one HTML document whose images are embedded as ``data:`` URIs."""
    body = [f"<h1>{html.escape(page.title)}</h1>",
            f'<p class="subtitle">{html.escape(page.subtitle)}</p>']
    for section in page.sections:
        body.append(f"<h2>{html.escape(section.heading)}</h2>")
        body += [f"<p>{html.escape(text)}</p>" for text in section.paragraphs]
        if section.points:
            body.append(f'<div class="points"><h3>{html.escape(section.points_title)}</h3><ul>'
                        + "".join(f"<li>{html.escape(point)}</li>" for point in section.points)
                        + "</ul></div>")
        for chart in section.charts:
            data = base64.b64encode(chart.png).decode("ascii")
            caption = f"<figcaption>{html.escape(chart.caption)}</figcaption>" \
                if chart.caption else ""
            body.append(f'<figure><img alt="{html.escape(chart.title, quote=True)}" '
                        f'src="data:image/png;base64,{data}">{caption}</figure>')
        body += [_html_table(table) for table in section.tables]
    if page.footnotes:
        body.append("<footer>" + "".join(f"<p>{html.escape(n)}</p>" for n in page.footnotes)
                    + "</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(page.title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
            "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


#: Characters that start Markdown structure inline: emphasis, code, links and images, tables,
#: strikethrough, headings, and the dollar signs of the renderers that do mathematics.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~#!$])")


def markdown_text(value: object) -> str:
    """``value`` as Markdown that shows it as written, on one line.

    Markdown punctuation is backslash-escaped and ``& < >`` become entities: a renderer that
    passes HTML through would otherwise run a ``<script>`` in a scenario name, pledge id or
    donor name. (Backslash escapes of ``<`` are not honoured by every renderer; entities are.)
    """
    text = " ".join(str(value).splitlines())
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markdown_cell(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else _number(value)  # NaN shows as an empty cell
    return markdown_text(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame`` (its index first when named), numbers to three decimals."""
    shown = frame.reset_index() if frame.index.name is not None else frame
    header = [markdown_text(c) for c in shown.columns]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(shown[c]) else "---"
                            for c in shown.columns) + "|"]
    lines += ["| " + " | ".join(_markdown_cell(v) for v in row) + " |"
              for row in shown.itertuples(index=False)]
    return "\n".join(lines)


def markdown_page(page: Page) -> str:
    """The page as Markdown, images linked as the PNG files written beside it."""
    md = markdown_text
    lines = [f"# {md(page.title)}", "", f"*{md(page.subtitle)}*", ""]
    for section in page.sections:
        lines += [f"## {md(section.heading)}", ""]
        for text in section.paragraphs:
            lines += [md(text), ""]
        if section.points:
            lines += [f"**{md(section.points_title)}**", ""]
            lines += [f"- {md(point)}" for point in section.points] + [""]
        for chart in section.charts:
            lines += [f"![{md(chart.title)}]({chart.file_name})", ""]
            if chart.caption:
                lines += [f"*{md(chart.caption)}*", ""]
        for table in section.tables:
            lines += [f"**{md(table.title)}**", "", markdown_table(table.frame), ""]
            if table.note:
                lines += [f"*{md(table.note)}*", ""]
    for note in page.footnotes:
        lines += [f"> {md(note)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_page(page: Page, out_dir: str | Path, *, stale: Collection[str] = ()) -> list[Path]:
    """Write the page's PNG files, ``report.html`` and ``report.md`` into ``out_dir``.

    ``stale`` names the files an earlier report of the same kind may have left in ``out_dir``;
    those this page does not write (an aid chart, after a run without aid) are removed once
    the new files are in place, so the folder holds one report. Returns the written paths,
    the HTML page first.
    """
    out = Path(out_dir)
    names = [f.file_name for f in page.charts]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"chart names must be unique, got {sorted(duplicated)} twice")
    written = [out / HTML_NAME, out / MARKDOWN_NAME]
    for chart in page.charts:
        atomic_write_bytes(out / chart.file_name, chart.png)
        written.append(out / chart.file_name)
    atomic_write_text(out / MARKDOWN_NAME, markdown_page(page))
    atomic_write_text(out / HTML_NAME, html_page(page))
    remove_stale(out, stale, keep={path.name for path in written})
    return written


def sections(*items: Section | None) -> tuple[Section, ...]:
    """The sections given, leaving out the ``None`` of a section a report does not have."""
    return tuple(item for item in items if item is not None)
