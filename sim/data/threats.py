"""The threat record: which allies border Russia, and the years of known threat events.

The forecast record (README, Backtest) shows the allies bordering Russia outrunning the model
after 2022: Poland and the Baltic states doubled their core shares while the alliance's rose by
half. The planning model lets a threat event raise their intent by more than the others': an
event adds ``size * (1 + exposure * frontline)`` pp of GDP to an ally's intent, where
``frontline`` is 1 for an ally with a land border with Russia (Kaliningrad included) and 0
otherwise, and ``exposure`` is fitted (:func:`sim.calibration.fit.fit_commitment`).

``frontline.csv`` has one row per ally with its source: the European countries bordering Russia
as a newspaper listed them in February 2022 (Norway, Finland, Estonia, Latvia, Lithuania, Poland
among NATO's members). A geographic fact rather than a fitted one, so that the backtest's fit to
an early cut-off uses nothing it could not have known.

``threat_events.csv`` lists the years after 2014 in which a threat event is a matter of record
(Russia's full-scale invasion of Ukraine in 2022), each with its source. The fit treats them as
observed, as it treats 2014: the event's occurrence is known, its size for each ally is not.
Without them the fit could find an event only where every ally's spending jumped at once, and
up to 2023 it found none (the 2022 invasion's rises came over several years).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np

from sim.data.base import ALLIES
from sim.data.sourced import SOURCE_COLUMNS, ally_rows, read_rows, source, year
from sim.errors import DataError
from sim.resources import calibration_dir

FRONTLINE_FILE = "frontline.csv"
EVENTS_FILE = "threat_events.csv"
_COLUMNS = ("iso3", "frontline", *SOURCE_COLUMNS, "note")
_EVENT_COLUMNS = ("year", "event", *SOURCE_COLUMNS, "note")
#: The event the fits start from (Crimea; the Wales pledge's rises are its jumps).
FIRST_EVENT = 2014


@functools.lru_cache(maxsize=4)
def load_frontline(data_dir: Path | None = None) -> Mapping[str, bool]:
    """Whether each ally borders Russia, by ISO3 code, for every ally.

    Raises :class:`~sim.errors.DataError` naming the file and line when the file is missing or
    malformed, a row names an unknown ally or a second row for one, ``frontline`` is not 0 or 1,
    a row lacks its source, or an ally has no row.
    """
    path = (data_dir or calibration_dir() / "data") / FRONTLINE_FILE
    found: dict[str, bool] = {}
    for code, row in ally_rows(path, _COLUMNS):
        if row["frontline"] not in ("0", "1"):
            raise DataError(f"{row['_where']}: column 'frontline' must be 0 or 1, got "
                            f"{row['frontline']!r}")
        source(row)  # every row names its publisher, document and date
        found[code] = row["frontline"] == "1"
    missing = [code for code in ALLIES if code not in found]
    if missing:
        raise DataError(f"{path}: no row for {', '.join(missing)}: one row per ally")
    # Read-only: the result is cached and shared by every caller.
    return MappingProxyType(found)


def frontline_flags(codes: Sequence[str], data_dir: Path | None = None) -> np.ndarray:
    """1.0 for each of ``codes`` that borders Russia, else 0.0: (allies,) in ``codes`` order."""
    table = load_frontline(data_dir)
    return np.array([1.0 if table[code] else 0.0 for code in codes])


@functools.lru_cache(maxsize=4)
def known_events(data_dir: Path | None = None) -> tuple[int, ...]:
    """The years of threat events on record after 2014, in order.

    Raises :class:`~sim.errors.DataError` naming the file and line when the file is missing or
    malformed, a year is not a year after 2014 or is listed twice, or a row lacks its source.
    """
    path = (data_dir or calibration_dir() / "data") / EVENTS_FILE
    years: list[int] = []
    for row in read_rows(path, _EVENT_COLUMNS):
        when = year(row)
        if when <= FIRST_EVENT:
            raise DataError(f"{row['_where']}: column 'year': {when} is not after "
                            f"{FIRST_EVENT}, the event the fit starts from")
        if when in years:
            raise DataError(f"{row['_where']}: {when} is listed twice")
        source(row)
        years.append(when)
    return tuple(sorted(years))
