"""Each ally's sourced evidence on its defence- and security-related spending (the Hague 1.5%).

The Hague pledge is 5% of GDP by 2035: 3.5% core defence and up to 1.5% on related spending
(critical infrastructure, networks, civil preparedness and resilience, innovation, the defence
industrial base). NATO publishes no related-spending series, so the planning model starts from
what allies have said of their own. ``related_spending.csv`` holds one row per ally that has
said something citable: the target year, the amount as a range in % of GDP (``low`` = ``high``
where the source gives one figure), and its ``basis``:

- ``plan``: a government's adopted target or plan;
- ``statement``: a leader's or minister's words;
- ``estimate``: derived from published totals (a stated total minus core).

An ally without evidence has no row, and :func:`related_evidence` returns ``None`` for it: any
related spending the model gives such an ally is an assumption, and must be shown as one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import attrs

from sim.data.base import ALLIES
from sim.data.sourced import SOURCE_COLUMNS, ally_rows, choice, number, source, year
from sim.errors import DataError
from sim.resources import calibration_dir

RELATED_FILE = "related_spending.csv"
BASES = ("plan", "statement", "estimate")
#: The Hague pledge's ceiling on related spending, % of GDP; a figure above it is not related.
HAGUE_RELATED = 1.5
_COLUMNS = ("iso3", "year", "low", "high", "basis", *SOURCE_COLUMNS, "note")


@attrs.frozen
class RelatedEvidence:
    """What one ally has said of its related spending, % of GDP, and where it was said."""

    year: int  # the year the amount is for (a target year: "by 2035" is 2035)
    low: float  # % of GDP, the low end of the range
    high: float  # % of GDP, the high end (= low where the source gives one figure)
    basis: str  # one of BASES
    source: str  # publisher, document, date
    via: str  # how the figure was read
    note: str


def _evidence(row: dict[str, str]) -> RelatedEvidence:
    low, high = number(row, "low"), number(row, "high")
    for column, value in (("low", low), ("high", high)):
        if not 0.0 <= value <= HAGUE_RELATED:
            raise DataError(f"{row['_where']}: column {column!r} must be between 0 and "
                            f"{HAGUE_RELATED} (% of GDP), got {row[column]!r}")
    if low > high:
        raise DataError(f"{row['_where']}: column 'low' {low} is above 'high' {high}")
    return RelatedEvidence(year=year(row), low=low, high=high,
                           basis=choice(row, "basis", BASES), source=source(row),
                           via=row["retrieved_via"], note=row["note"])


@functools.lru_cache(maxsize=4)
def load_related(data_dir: Path | None = None) -> Mapping[str, RelatedEvidence]:
    """Every ally's related-spending evidence, by ISO3 code; an ally without evidence is absent.

    Raises :class:`~sim.errors.DataError` naming the file, line and column when the file is
    missing or malformed, a row names an unknown ally or a second row for one, a figure is not
    a number within 0-1.5% of GDP or its range runs backwards, the basis is not one of
    plan, statement, estimate, or a row lacks its source.
    """
    path = (data_dir or calibration_dir() / "data") / RELATED_FILE
    found: dict[str, RelatedEvidence] = {}
    for code, row in ally_rows(path, _COLUMNS):
        found[code] = _evidence(row)
    # Read-only: the result is cached and shared by every caller.
    return MappingProxyType(found)


def related_evidence(code: str, data_dir: Path | None = None) -> RelatedEvidence | None:
    """One ally's related-spending evidence, or ``None`` where it has published none."""
    if code not in ALLIES:
        raise DataError(f"{RELATED_FILE}: {code!r} is not an ally (allies by ISO3 code)")
    return load_related(data_dir).get(code)
