"""Each ally's fiscal position by year, from the IMF World Economic Outlook (October 2025).

General government gross debt, overall balance (net lending/borrowing) and primary balance, all
% of GDP, for all 32 allies 2014–2030: what the planning model's fiscal-space layer starts from
(SPEC 3.5). Years up to the ally's latest actual year (2024; 2023 for Iceland and Norway) are
outturns, later years IMF staff projections, as the row's ``note`` says. Net interest is not
published here; it is about the primary minus the overall balance (:attr:`FiscalYear.net_interest`).
The April 2025 vintage is not copied: nothing reads it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import attrs

from sim.data.base import ALLIES
from sim.data.sourced import SOURCE_COLUMNS, number, read_rows, source, year
from sim.errors import DataError
from sim.resources import calibration_dir

FISCAL_FILE = "fiscal_imf.csv"
#: The WEO vintage every fiscal figure is read from (the file may hold others beside it).
FISCAL_VINTAGE = "WEO Oct 2025"
FIRST_YEAR, LAST_YEAR = 2014, 2030
#: WEO indicator code -> the FiscalYear field it fills.
INDICATORS = {
    "GGXWDG_NGDP": "debt",
    "GGXCNL_NGDP": "overall_balance",
    "GGXONLB_NGDP": "primary_balance",
}
_COLUMNS = ("iso3", "year", "indicator", "value", "unit", "vintage", *SOURCE_COLUMNS, "note")
_LATEST_ACTUAL = re.compile(r"latest actual year (\d{4})")


@attrs.frozen
class FiscalYear:
    """One ally's general government position in one year, % of GDP, as the IMF publishes it."""

    code: str
    year: int
    debt: float  # gross debt, % of GDP
    overall_balance: float  # net lending (+) / borrowing (-), % of GDP
    primary_balance: float  # overall balance excluding net interest, % of GDP
    projection: bool  # an IMF staff estimate or projection, not an outturn
    latest_actual: int  # the ally's last outturn year in this vintage
    vintage: str
    source: str  # publisher, document, date
    via: str  # how the figures were read

    @property
    def net_interest(self) -> float:
        """Net interest paid, % of GDP: primary minus overall balance (derived, not published)."""
        return self.primary_balance - self.overall_balance


def _is_projection(row: dict[str, str]) -> bool:
    note = row["note"]
    if "estimate/projection" in note:
        return True
    if note.rstrip().endswith("actual"):
        return False
    raise DataError(f"{row['_where']}: column 'note' says neither 'actual' nor "
                    f"'estimate/projection': {note!r}")


def load_fiscal(data_dir: Path | None = None) -> Mapping[str, Mapping[int, FiscalYear]]:
    """Every ally's fiscal position 2014–2030, keyed by ISO3 code, then year.

    Raises :class:`~sim.errors.DataError` naming the file, line and column when the file is
    missing, lacks a column, holds a non-number, an unknown ally or indicator, a duplicate, an
    ally-year whose three indicators disagree on actual or projection, or leaves a gap.
    """
    # Read once a process for each file, however the folder is named: cached on the arguments
    # as given, load_fiscal() and load_fiscal(None) read the file twice (50 ms each).
    return _read_fiscal((data_dir or calibration_dir() / "data") / FISCAL_FILE)


@functools.lru_cache(maxsize=4)
def _read_fiscal(path: Path) -> Mapping[str, Mapping[int, FiscalYear]]:
    """:func:`load_fiscal` of the file at ``path``."""
    values: dict[tuple[str, int], dict[str, float]] = {}
    meta: dict[tuple[str, int], tuple[bool, int, str, str, str]] = {}
    for row in read_rows(path, _COLUMNS):
        if row["vintage"] != FISCAL_VINTAGE:
            continue
        code, when = row["iso3"], year(row)
        if code not in ALLIES:
            raise DataError(f"{row['_where']}: column 'iso3': {code!r} is not an ally")
        field = INDICATORS.get(row["indicator"])
        if field is None:
            raise DataError(f"{row['_where']}: column 'indicator': {row['indicator']!r} is not "
                            f"one of {', '.join(INDICATORS)}")
        if row["unit"] != "% of GDP":
            raise DataError(f"{row['_where']}: column 'unit' must be '% of GDP', got "
                            f"{row['unit']!r}")
        latest = _LATEST_ACTUAL.search(row["note"])
        if latest is None:
            raise DataError(f"{row['_where']}: column 'note' does not name the latest actual "
                            "year")
        projection = _is_projection(row)
        if projection != (when > int(latest.group(1))):
            raise DataError(f"{row['_where']}: {when} is marked "
                            f"{'a projection' if projection else 'actual'} but the latest "
                            f"actual year is {latest.group(1)}")
        key = (code, when)
        entry = (projection, int(latest.group(1)), row["vintage"], source(row),
                 row["retrieved_via"])
        if meta.setdefault(key, entry)[:2] != entry[:2]:
            raise DataError(f"{row['_where']}: {code} {when}: the indicators disagree on "
                            "whether the year is actual or a projection")
        if field in values.setdefault(key, {}):
            raise DataError(f"{row['_where']}: a second {row['indicator']} for {code} {when}")
        values[key][field] = number(row, "value")
    by_ally: dict[str, Mapping[int, FiscalYear]] = {}
    for code in ALLIES:
        years: dict[int, FiscalYear] = {}
        for when in range(FIRST_YEAR, LAST_YEAR + 1):
            found = values.get((code, when), {})
            gap = next((ind for ind, field in INDICATORS.items() if field not in found), None)
            if gap is not None:
                raise DataError(f"{path}: no {FISCAL_VINTAGE} {gap} for {code} {when}")
            projection, latest_actual, vintage, cited, via = meta[(code, when)]
            years[when] = FiscalYear(code=code, year=when, projection=projection,
                                     latest_actual=latest_actual, vintage=vintage,
                                     source=cited, via=via, **found)
        by_ally[code] = MappingProxyType(years)
    # Read-only: the result is cached and shared by every caller.
    return MappingProxyType(by_ally)


def fiscal_position(code: str, when: int, data_dir: Path | None = None) -> FiscalYear:
    """One ally's fiscal position in one year (2014–2030)."""
    try:
        return load_fiscal(data_dir)[code][when]
    except KeyError:
        raise DataError(f"{FISCAL_FILE}: no fiscal position for {code!r} {when} "
                        f"(allies by ISO3 code, {FIRST_YEAR}-{LAST_YEAR})") from None
