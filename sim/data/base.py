"""Sourced base-year figures per ally, read from ``calibration/data``.

Every figure the engine starts from is a :class:`Figure` that carries its publisher, document and
the route by which it was read, so `summit allies` can show a planner where each number comes from.
The spending share is NATO's core defence expenditure (the Hague definition) from one consistent
edition, *Defence Investment of NATO Countries (2014-2026)*, July 2026.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

import attrs

from sim.errors import DataError
from sim.resources import calibration_dir

#: All 32 allies, ISO 3166 alpha-3 code and English short name, in code order.
ALLIES: dict[str, str] = {
    "ALB": "Albania", "BEL": "Belgium", "BGR": "Bulgaria", "CAN": "Canada", "CZE": "Czechia",
    "DEU": "Germany", "DNK": "Denmark", "ESP": "Spain", "EST": "Estonia", "FIN": "Finland",
    "FRA": "France", "GBR": "United Kingdom", "GRC": "Greece", "HRV": "Croatia", "HUN": "Hungary",
    "ISL": "Iceland", "ITA": "Italy", "LTU": "Lithuania", "LUX": "Luxembourg", "LVA": "Latvia",
    "MKD": "North Macedonia", "MNE": "Montenegro", "NLD": "Netherlands", "NOR": "Norway",
    "POL": "Poland", "PRT": "Portugal", "ROU": "Romania", "SVK": "Slovakia", "SVN": "Slovenia",
    "SWE": "Sweden", "TUR": "Türkiye", "USA": "United States",
}  # fmt: skip

#: Allies without armed forces or NATO spending figures: listed, never assessed for the goal.
NOT_ASSESSED: frozenset[str] = frozenset({"ISL"})

#: The edition every spending share is read from (known problem 1: editions revise heavily).
CORE_EDITION = "NATO 2026 (Jul 2026)"
#: The IMF WEO vintage whose projections set each ally's long-run growth mean.
GROWTH_VINTAGE = "WEO Oct 2025"
_NATO_2026_GDP = "NATO, Defence Investment of NATO Countries (2014-2026)"

CORE_SHARE_FILE = "nato_defexp_pct_gdp_by_edition.csv"
GDP_FILE = "gdp_current_usd.csv"
CORE_USD_FILE = "nato2026_core_defexp_usd_million.csv"
GROWTH_FILE = "real_gdp_growth_projections_imf_weo.csv"


@attrs.frozen
class Figure:
    """One sourced number: its value, unit, and where it was read."""

    value: float
    unit: str
    source: str
    via: str = ""
    estimate: bool = False
    file: str = ""


@attrs.frozen
class AllyBase:
    """An ally's base-year figures; ``None`` where no source has the figure."""

    code: str
    name: str
    year: int
    assessed: bool
    core_share: Figure | None  # % of GDP, NATO core definition
    gdp_usd: Figure | None  # current USD
    core_usd: Figure | None  # current USD, as NATO publishes it
    growth_mean: Figure | None  # real growth, fraction per year


def _rows(data_dir: Path, name: str) -> Iterator[dict[str, str]]:
    path = data_dir / name
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle)
    except FileNotFoundError:
        raise DataError(f"{path}: calibration data file is missing") from None


def _number(path: str, row: dict[str, str], column: str) -> float:
    try:
        return float(row[column])
    except (KeyError, TypeError, ValueError):
        raise DataError(
            f"{path}: column {column!r} is missing or not a number in row {row!r}"
        ) from None


@functools.lru_cache(maxsize=8)
def load_base(year: int = 2026, data_dir: Path | None = None) -> Mapping[str, AllyBase]:
    """Base-year figures for all 32 allies, keyed by ISO3 code.

    ``year`` is the scenario's base year (2014–2026 are covered by the July 2026 edition).
    Raises :class:`DataError` when a file is missing or malformed.
    """
    data_dir = data_dir or calibration_dir() / "data"
    shares: dict[str, Figure] = {}
    for row in _rows(data_dir, CORE_SHARE_FILE):
        if row.get("edition") == CORE_EDITION and row.get("year") == str(year):
            shares[row["iso3"]] = Figure(
                value=_number(CORE_SHARE_FILE, row, "value_pct_gdp"),
                unit="% of GDP",
                source=f"{row['source_publisher']}, {row['source_title']}, {row['source_date']}",
                via=row.get("retrieved_via", ""),
                estimate=row.get("estimate") == "True",
                file=CORE_SHARE_FILE,
            )
    gdp: dict[str, Figure] = {}
    for row in _rows(data_dir, GDP_FILE):
        if row.get("year") == str(year) and row.get("source", "").startswith(_NATO_2026_GDP):
            gdp[row["iso3"]] = Figure(
                value=_number(GDP_FILE, row, "gdp_usd_million") * 1e6,
                unit="USD (current)",
                source=row["source"],
                via=row.get("retrieved_via", ""),
                estimate=row.get("estimate") == "True",
                file=GDP_FILE,
            )
    core_usd: dict[str, Figure] = {}
    for row in _rows(data_dir, CORE_USD_FILE):
        if row.get("year") == str(year):
            core_usd[row["iso3"]] = Figure(
                value=_number(CORE_USD_FILE, row, "core_defexp_usd_current_m") * 1e6,
                unit="USD (current)",
                source=row["source"],
                via=row.get("retrieved_via", ""),
                estimate=row.get("estimate") == "True",
                file=CORE_USD_FILE,
            )
    growth = _growth_means(data_dir, year)
    missing = [c for c in ALLIES if c not in NOT_ASSESSED and (c not in shares or c not in gdp)]
    if missing:
        raise DataError(
            f"{data_dir}: no {CORE_EDITION} core share or GDP for base year {year} for "
            f"{', '.join(missing)} (the edition covers 2014-2026)"
        )
    # Read-only: the result is cached and shared by every caller.
    return MappingProxyType({
        code: AllyBase(
            code=code,
            name=name,
            year=year,
            assessed=code not in NOT_ASSESSED,
            core_share=shares.get(code),
            gdp_usd=gdp.get(code),
            core_usd=core_usd.get(code),
            growth_mean=growth.get(code),
        )
        for code, name in ALLIES.items()
    })


def _growth_means(data_dir: Path, base_year: int) -> dict[str, Figure]:
    """Each ally's mean IMF real-growth projection over the years after the base year."""
    by_ally: dict[str, dict[int, float]] = {}
    source = via = ""
    for row in _rows(data_dir, GROWTH_FILE):
        if row.get("vintage") != GROWTH_VINTAGE:
            continue
        year = int(_number(GROWTH_FILE, row, "year"))
        by_ally.setdefault(row["iso3"], {})[year] = _number(GROWTH_FILE, row, "real_gdp_growth_pct")
        source, via = row["source"], row.get("retrieved_via", "")
    means = {}
    for code, series in by_ally.items():
        # Projections after the base year; a base year past the last projection uses them all.
        years = sorted(y for y in series if y > base_year) or sorted(series)
        mean_pct = sum(series[y] for y in years) / len(years)
        means[code] = Figure(
            value=mean_pct / 100.0,
            unit="real growth, fraction per year",
            source=f"IMF, World Economic Outlook ({GROWTH_VINTAGE}), {source}; "
            f"mean of {years[0]}-{years[-1]} projections",
            via=via,
            estimate=True,
            file=GROWTH_FILE,
        )
    return means
