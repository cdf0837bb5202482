"""Each ally's national price level, from the IMF World Economic Outlook (October 2025).

Budgets set in money, and debt, are nominal in national currency: turning them into shares of
GDP needs national inflation as well as real growth. This module reads the GDP deflator (IMF
code ``NGDP_D``, an index in national currency) for all 32 allies 2024–2030, derives the
year-on-year inflation from it, and gives the planning model its default ``growth.deflator``:
the mean inflation over the projection years after the base year (:func:`deflator_mean`).
Years up to the latest actual year (2024 for every ally in this vintage) are outturns, later
years IMF staff projections, as each row's ``note`` says. The deflator, not consumer prices, is
the index that links nominal to real GDP; the CPI (``PCPIPCH``) is not copied.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import attrs

from sim.data.base import ALLIES, Figure
from sim.data.sourced import SOURCE_COLUMNS, number, read_rows, source, year
from sim.errors import DataError
from sim.kept import Kept
from sim.resources import calibration_dir

DEFLATOR_FILE = "deflator_imf.csv"
#: The WEO vintage the deflator is read from (the same as the fiscal position's).
DEFLATOR_VINTAGE = "WEO Oct 2025"
INDICATOR = "NGDP_D"
#: The index runs over these years; inflation is known from the year after the first.
FIRST_YEAR, LAST_YEAR = 2024, 2030
_COLUMNS = ("iso3", "year", "indicator", "value", "unit", "vintage", *SOURCE_COLUMNS, "note")
_LATEST_ACTUAL = re.compile(r"latest actual year (\d{4})")
_INDEX_BASE = re.compile(r"index \((\d{4}) = 100\)")


@attrs.frozen
class PriceYear:
    """One ally's GDP deflator in one year, and the inflation from the year before."""

    code: str
    year: int
    index: float  # GDP deflator, index (index_base = 100), national currency
    index_base: int  # the year the index is 100 in
    inflation: float | None  # change of the index from the year before, fraction; None at first
    projection: bool  # an IMF staff estimate or projection, not an outturn
    latest_actual: int  # the ally's last outturn year in this vintage
    source: str  # publisher, document, date
    via: str  # how the figure was read


def _is_projection(row: dict[str, str]) -> bool:
    note = row["note"]
    if note.rstrip().endswith("estimate/projection"):
        return True
    if note.rstrip().endswith("actual"):
        return False
    raise DataError(f"{row['_where']}: column 'note' says neither 'actual' nor "
                    f"'estimate/projection': {note!r}")


def _note_year(row: dict[str, str], pattern: re.Pattern[str], what: str) -> int:
    found = pattern.search(row["note"])
    if found is None:
        raise DataError(f"{row['_where']}: column 'note' does not name {what}")
    return int(found.group(1))


@functools.lru_cache(maxsize=4)
def load_deflator(data_dir: Path | None = None) -> Mapping[str, Mapping[int, PriceYear]]:
    """Every ally's GDP deflator and inflation 2024–2030, keyed by ISO3 code, then year.

    Raises :class:`~sim.errors.DataError` naming the file, line and column when the file is
    missing, lacks a column, holds a non-number or a non-positive index, an unknown ally or
    indicator, a duplicate, an index whose base year changes within an ally's series, a year
    marked actual or projection against the latest actual year, or leaves a gap.
    """
    path = (data_dir or calibration_dir() / "data") / DEFLATOR_FILE
    rows: dict[tuple[str, int], dict[str, str]] = {}
    for row in read_rows(path, _COLUMNS):
        if row["vintage"] != DEFLATOR_VINTAGE:
            continue
        code, when = row["iso3"], year(row)
        if code not in ALLIES:
            raise DataError(f"{row['_where']}: column 'iso3': {code!r} is not an ally")
        if row["indicator"] != INDICATOR:
            raise DataError(f"{row['_where']}: column 'indicator' must be {INDICATOR!r}, got "
                            f"{row['indicator']!r}")
        if row["unit"] != "index":
            raise DataError(f"{row['_where']}: column 'unit' must be 'index', got "
                            f"{row['unit']!r}")
        value = number(row, "value")
        if not (math.isfinite(value) and value > 0):
            raise DataError(f"{row['_where']}: column 'value': an index must be positive, got "
                            f"{row['value']!r}")
        latest = _note_year(row, _LATEST_ACTUAL, "the latest actual year")
        if _is_projection(row) != (when > latest):
            raise DataError(f"{row['_where']}: {when} is marked "
                            f"{'a projection' if _is_projection(row) else 'actual'} but the "
                            f"latest actual year is {latest}")
        if (code, when) in rows:
            raise DataError(f"{row['_where']}: a second {INDICATOR} for {code} {when}")
        rows[(code, when)] = row
    by_ally: dict[str, Mapping[int, PriceYear]] = {}
    for code in ALLIES:
        years: dict[int, PriceYear] = {}
        for when in range(FIRST_YEAR, LAST_YEAR + 1):
            if (code, when) not in rows:
                raise DataError(f"{path}: no {DEFLATOR_VINTAGE} {INDICATOR} for {code} {when}")
            row = rows[(code, when)]
            index, base = number(row, "value"), _note_year(row, _INDEX_BASE, "the index base")
            before = years.get(when - 1)
            if before is not None and before.index_base != base:
                # Inflation across a change of base would be a jump in the index, not in prices.
                raise DataError(f"{row['_where']}: column 'note': {code}'s index base changes "
                                f"from {before.index_base} to {base}")
            years[when] = PriceYear(
                code=code, year=when, index=index, index_base=base,
                inflation=None if before is None else index / before.index - 1.0,
                projection=_is_projection(row),
                latest_actual=_note_year(row, _LATEST_ACTUAL, "the latest actual year"),
                source=source(row), via=row["retrieved_via"])
        by_ally[code] = MappingProxyType(years)
    # Read-only: the result is cached and shared by every caller.
    return MappingProxyType(by_ally)


def deflator_inflation(code: str, when: int, data_dir: Path | None = None) -> float:
    """One ally's GDP-deflator inflation in one year (2025–2030), a fraction."""
    try:
        inflation = load_deflator(data_dir)[code][when].inflation
    except KeyError:
        inflation = None
    if inflation is None:
        raise DataError(f"{DEFLATOR_FILE}: no deflator inflation for {code!r} {when} (allies "
                        f"by ISO3 code, {FIRST_YEAR + 1}-{LAST_YEAR})")
    return inflation


#: Each ally's mean deflator inflation computed before, by code, years and data folder, with
#: the deflator data it was computed from (kept while :func:`load_deflator` gives the same):
#: every ally of every variant of a sweep asks for it again. Emptied when full.
_MEANS = Kept(1024)


def deflator_mean(code: str, first: int = 2027, last: int = 2030,
                  data_dir: Path | None = None) -> Figure:
    """One ally's mean GDP-deflator inflation over ``first``..``last``, a fraction a year.

    The mean is geometric, ``(index[last] / index[first - 1]) ** (1 / years) - 1``, so that a
    price level compounded at it from the year before ``first`` reaches the IMF's index in
    ``last`` exactly. The defaults are the projection years after the 2026 base year.
    """
    if not FIRST_YEAR < first <= last <= LAST_YEAR:
        raise DataError(f"{DEFLATOR_FILE}: deflator years {first}-{last} are not within "
                        f"{FIRST_YEAR + 1}-{LAST_YEAR}")
    deflators = load_deflator(data_dir)
    return _MEANS.made(functools.partial(_mean, deflators, code, first, last),
                       (code, first, last, data_dir), (deflators,))


def _mean(deflators: Mapping[str, Mapping[int, PriceYear]], code: str, first: int,
          last: int) -> Figure:
    """:func:`deflator_mean` of the deflator data ``deflators``."""
    try:
        series = deflators[code]
    except KeyError:
        raise DataError(f"{DEFLATOR_FILE}: no deflator for {code!r} (allies by ISO3 code)"
                        ) from None
    start, end = series[first - 1], series[last]
    mean = (end.index / start.index) ** (1.0 / (last - first + 1)) - 1.0
    return Figure(
        value=mean,
        unit="GDP-deflator inflation, fraction per year",
        source=f"{end.source}; {INDICATOR}, geometric mean of {first}-{last}",
        via=end.via,
        estimate=any(series[y].projection for y in range(first, last + 1)),
        file=DEFLATOR_FILE,
    )
