"""Historical series with provenance, read from ``calibration/data``: what calibration fits on.

:func:`load_history` gives every assessed ally's NATO core defence share 2014–2026e from one
edition (the July 2026 edition, the only one on the Hague core definition), core spending in
current and constant-2021 USD, GDP in current USD, and a real GDP growth series derived from
them. Every number keeps the publisher, document and date of the row it came from, so a planner
can trace any figure the engine uses (`summit data ISO3`, `summit allies --sources`).

Real growth is not published in these files. It is derived, exactly as follows: NATO's Table 3
share is core spending over *real* GDP at 2021 prices, so core spending at constant 2021 USD
(Table 2) divided by that share is real GDP at 2021 USD; its year-on-year change is real growth.
Both inputs are rounded (USD millions, shares to 0.01 pp), which adds up to about 0.5 pp of noise
to the growth of the smallest allies.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np

from sim.data import sourced
from sim.data.base import (
    ALLIES,
    CORE_EDITION,
    CORE_SHARE_FILE,
    CORE_USD_FILE,
    GDP_FILE,
    GROWTH_FILE,
    NOT_ASSESSED,
)
from sim.data.sourced import number, read_rows
from sim.errors import DataError
from sim.resources import calibration_dir

PLANS_FILE = "announced_paths.csv"
FIRST_YEAR, LAST_YEAR = 2014, 2026
#: The files :func:`load_history` reads.
HISTORY_FILES = (CORE_SHARE_FILE, CORE_USD_FILE, GDP_FILE, GROWTH_FILE)
_NATO_GDP = "NATO, Defence Investment of NATO Countries (2014-2026)"

_COLUMNS = {
    CORE_SHARE_FILE: ("iso3", "year", "value_pct_gdp", "estimate", "edition", "source_publisher",
                      "source_title", "source_date", "retrieved_via"),
    CORE_USD_FILE: ("iso3", "year", "estimate", "core_defexp_usd_current_m",
                    "core_defexp_usd_const2021_m", "source", "retrieved_via"),
    GDP_FILE: ("iso3", "year", "estimate", "gdp_usd_million", "source", "retrieved_via"),
    GROWTH_FILE: ("iso3", "vintage", "year", "real_gdp_growth_pct", "source", "retrieved_via"),
    PLANS_FILE: ("iso3", "year", "core_share_pct", "from_row", "source_and_date",
                 "retrieved_via", "note"),
}


@attrs.frozen
class Row:
    """One sourced figure as the data file states it."""

    quantity: str
    year: int
    value: float
    unit: str
    vintage: str  # edition or vintage of the publication
    source: str  # publisher, document, date
    via: str  # how the figure was read
    file: str
    estimate: bool = False


@attrs.frozen(eq=False)
class History:
    """Every assessed ally's history in one edition; arrays are (years, allies) in ``codes`` order.

    Shares are % of GDP; money is USD; ``real_growth`` is a fraction per year, its row ``t`` the
    growth from ``years[t]`` to ``years[t+1]``.
    """

    codes: tuple[str, ...]
    years: tuple[int, ...]
    core_share: np.ndarray  # (years, allies) % of real GDP, NATO 2026 edition
    estimate: np.ndarray  # (years, allies) True where NATO marks the figure an estimate
    core_usd: np.ndarray  # (years, allies) current USD
    core_usd_const2021: np.ndarray  # (years, allies) constant 2021 USD
    gdp_usd: np.ndarray  # (years, allies) current USD
    rows: tuple[Row, ...] = attrs.field(repr=False)

    @property
    def real_growth(self) -> np.ndarray:
        """Derived real GDP growth, (years - 1, allies): see the module docstring."""
        real_gdp = self.core_usd_const2021 / self.core_share  # (years, allies) 2021 USD x 100
        return real_gdp[1:] / real_gdp[:-1] - 1.0

    def until(self, year: int) -> History:
        """The history as known with data up to ``year`` only (for backtests)."""
        if year not in self.years:
            raise DataError(f"{CORE_SHARE_FILE}: no year {year} in "
                            f"{self.years[0]}-{self.years[-1]}")
        n = self.years.index(year) + 1
        return attrs.evolve(
            self, years=self.years[:n], core_share=self.core_share[:n],
            estimate=self.estimate[:n], core_usd=self.core_usd[:n],
            core_usd_const2021=self.core_usd_const2021[:n], gdp_usd=self.gdp_usd[:n],
            rows=tuple(r for r in self.rows if r.year <= year),
        )

    def ally_rows(self, code: str) -> list[Row]:
        """Every sourced figure for one ally, in file order."""
        return [r for r in self.rows if r.quantity.startswith(code + " ")]


def _rows(data_dir: Path, name: str) -> Iterator[dict[str, str]]:
    return read_rows(data_dir / name, _COLUMNS[name])


@functools.lru_cache(maxsize=4)
def load_history(data_dir: Path | None = None) -> History:
    """The 2014–2026e history of all 31 assessed allies from ``data_dir`` (default: shipped).

    Raises :class:`~sim.errors.DataError` naming the file, line and column when a file is
    missing, lacks a column, holds a non-number, or leaves an ally-year without a figure.
    """
    data_dir = data_dir or calibration_dir() / "data"
    codes = tuple(c for c in ALLIES if c not in NOT_ASSESSED)
    years = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
    shape = (len(years), len(codes))
    arrays = {name: np.full(shape, np.nan) for name in
              ("core_share", "core_usd", "core_usd_const2021", "gdp_usd")}
    estimate = np.zeros(shape, dtype=bool)
    rows: list[Row] = []

    def place(name: str, row: dict[str, str], value: float) -> tuple[int, int] | None:
        code, year = row["iso3"], sourced.year(row)
        if code not in codes or year not in years:
            return None
        index = (years.index(year), codes.index(code))
        arrays[name][index] = value
        return index

    for row in _rows(data_dir, CORE_SHARE_FILE):
        if not row["value_pct_gdp"].strip() and row["edition"] != CORE_EDITION:
            continue  # an older edition published no estimate for this ally-year
        value = number(row, "value_pct_gdp")
        source = f"{row['source_publisher']}, {row['source_title']}, {row['source_date']}"
        rows.append(Row(f"{row['iso3']} defence share", sourced.year(row), value, "% of GDP",
                        row["edition"], source, row["retrieved_via"], CORE_SHARE_FILE,
                        row["estimate"] == "True"))
        if row["edition"] == CORE_EDITION:
            index = place("core_share", row, value)
            if index is not None:
                estimate[index] = row["estimate"] == "True"
    for row in _rows(data_dir, CORE_USD_FILE):
        current = number(row, "core_defexp_usd_current_m") * 1e6
        constant = number(row, "core_defexp_usd_const2021_m") * 1e6
        place("core_usd", row, current)
        place("core_usd_const2021", row, constant)
        for quantity, value, unit in (("core spending", current, "USD (current)"),
                                      ("core spending", constant, "USD (constant 2021)")):
            rows.append(Row(f"{row['iso3']} {quantity}", sourced.year(row), value, unit,
                            CORE_EDITION, row["source"], row["retrieved_via"], CORE_USD_FILE,
                            row["estimate"] == "True"))
    for row in _rows(data_dir, GDP_FILE):
        value = number(row, "gdp_usd_million") * 1e6
        nato = row["source"].startswith(_NATO_GDP)
        if nato:
            place("gdp_usd", row, value)
        rows.append(Row(f"{row['iso3']} GDP", sourced.year(row), value, "USD (current)",
                        CORE_EDITION if nato else "World Bank WDI", row["source"],
                        row["retrieved_via"], GDP_FILE, row["estimate"] == "True"))
    for row in _rows(data_dir, GROWTH_FILE):
        rows.append(Row(f"{row['iso3']} real growth projection", sourced.year(row),
                        number(row, "real_gdp_growth_pct"), "% per year", row["vintage"],
                        row["source"], row["retrieved_via"], GROWTH_FILE, True))
    for name, array in arrays.items():
        gaps = np.argwhere(np.isnan(array))
        if len(gaps):
            t, i = gaps[0]
            raise DataError(f"{data_dir}: no {CORE_EDITION} {name} for {codes[i]} {years[t]}")
    shares = arrays["core_share"]
    if (shares <= 0).any():
        t, i = np.argwhere(shares <= 0)[0]
        raise DataError(f"{data_dir / CORE_SHARE_FILE}: core share of {codes[i]} {years[t]} "
                        "must be positive")
    return History(codes=codes, years=years, estimate=estimate, rows=tuple(rows), **arrays)


@functools.lru_cache(maxsize=4)
def announced_plans(data_dir: Path | None = None) -> dict[str, tuple[Row, ...]]:
    """Each ally's published national plan as ``(year, core share)`` rows, years ascending."""
    data_dir = data_dir or calibration_dir() / "data"
    plans: dict[str, list[Row]] = {}
    for row in _rows(data_dir, PLANS_FILE):
        code = row["iso3"]
        if code not in ALLIES or code in NOT_ASSESSED:
            raise DataError(f"{row['_where']}: column 'iso3': {code!r} is not an assessed ally")
        value = number(row, "core_share_pct")
        if not 0.0 < value < 100.0:
            raise DataError(f"{row['_where']}: column 'core_share_pct' must be between 0 and "
                            f"100, got {value}")
        plans.setdefault(code, []).append(Row(
            f"{code} announced core share", sourced.year(row), value, "% of GDP", "national plan",
            row["source_and_date"], f"{row['retrieved_via']} ({row['from_row']})",
            PLANS_FILE))
    return {code: tuple(sorted(rows, key=lambda r: r.year)) for code, rows in plans.items()}


def announced_points(code: str, base_year: int) -> tuple[tuple[int, float], ...]:
    """The ally's plan after ``base_year`` as ``(year, core share %)`` points; empty if none."""
    return tuple((r.year, r.value) for r in announced_plans().get(code, ()) if r.year > base_year)
