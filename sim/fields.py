"""Typed reads of a run folder's ``summary.json`` and tables, for the reports that draw on them
and for the analysts' reader (:mod:`sim.analysis`).

A report, a comparison or a query trusts nothing of a folder it reads: a file may have been
edited, copied from another version, or written by hand. Each function here reads one value at
a dotted key (:func:`sim.files.lookup`) and checks its kind and range, so that a string where a
year belongs, a probability of ``inf`` or a two-number interval with one number ends in one line,
``out/run/summary.json: allies.DEU.p_meet_goal.p: must be a probability between 0 and 1, got
'high'`` (a :class:`~sim.errors.ResultsError`), never in a traceback from deep in a chart or a
comparison that prints ``+nan``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import ResultsError
from sim.files import lookup

if TYPE_CHECKING:
    import pandas as pd


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def table(document: dict[str, Any], dotted: str, path: Path) -> dict[str, Any]:
    """The JSON object at ``dotted``."""
    return checked_table(lookup(document, dotted, path), dotted, path)


def checked_table(value: Any, dotted: str, path: Path) -> dict[str, Any]:
    """``value``, read at ``dotted``, if it is a JSON object."""
    if not isinstance(value, dict):
        raise ResultsError(path, dotted, f"must be an object, got {value!r:.40}")
    return value


def member(value: dict[str, Any], name: str, dotted: str, path: Path) -> Any:
    """``value[name]``, where ``value`` was read at ``dotted``: as :func:`sim.files.lookup`, for
    a name that may hold a dot (a pledge id)."""
    if name not in value:
        raise ResultsError(path, f"{dotted}.{name}", "missing")
    return value[name]


def number(document: dict[str, Any], dotted: str, path: Path) -> float:
    """The finite number at ``dotted``."""
    return checked_number(lookup(document, dotted, path), dotted, path)


def checked_number(value: Any, dotted: str, path: Path) -> float:
    """``value``, read at ``dotted``, if it is a finite number."""
    if not _is_number(value):
        raise ResultsError(path, dotted, f"must be a finite number, got {value!r:.40}")
    return float(value)


def whole(document: dict[str, Any], dotted: str, path: Path, lowest: int = 0) -> int:
    """The whole number of at least ``lowest`` at ``dotted`` (a year, a count of draws)."""
    value = lookup(document, dotted, path)
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise ResultsError(path, dotted, f"must be a whole number >= {lowest}, got "
                           f"{value!r:.40}")
    return value


def text(document: dict[str, Any], dotted: str, path: Path) -> str:
    """The string at ``dotted``."""
    value = lookup(document, dotted, path)
    if not isinstance(value, str):
        raise ResultsError(path, dotted, f"must be a string, got {value!r:.40}")
    return value


def probability(document: dict[str, Any], dotted: str, path: Path) -> tuple[float, float, float]:
    """``(p, low, high)`` of the probability at ``dotted``."""
    return checked_probability(lookup(document, dotted, path), dotted, path)


def checked_probability(value: Any, dotted: str, path: Path) -> tuple[float, float, float]:
    """``(p, low, high)`` of ``value``, read at ``dotted``: ``{"p": ..., "ci95": [low,
    high]}``, each between 0 and 1, low first."""
    value = checked_table(value, dotted, path)
    p = value.get("p")
    if not (_is_number(p) and 0.0 <= p <= 1.0):
        raise ResultsError(path, f"{dotted}.p", f"must be a probability between 0 and 1, got "
                           f"{p!r:.40}")
    interval = value.get("ci95")
    if not (isinstance(interval, list) and len(interval) == 2
            and all(_is_number(end) and 0.0 <= end <= 1.0 for end in interval)
            and interval[0] <= interval[1]):
        raise ResultsError(path, f"{dotted}.ci95", "must be [low, high], two probabilities "
                           f"between 0 and 1, low first, got {interval!r:.60}")
    return float(p), float(interval[0]), float(interval[1])


def quantiles(document: dict[str, Any], dotted: str, path: Path,
              names: Sequence[str] = ("p05", "p50", "p95")) -> dict[str, float]:
    """The quantiles ``names`` of the object at ``dotted``, each a finite number."""
    value = table(document, dotted, path)
    found = {}
    for name in names:
        if name not in value:
            raise ResultsError(path, f"{dotted}.{name}", "missing")
        found[name] = checked_number(value[name], f"{dotted}.{name}", path)
    return found


def numeric_columns(frame: pd.DataFrame, columns: Sequence[str], path: Path,
                    *, blanks: bool = False) -> None:
    """Refuse a table whose ``columns`` hold anything but numbers (blank cells only where
    ``blanks``): a string in a quantile column would draw a garbage chart."""
    import pandas as pd  # here: summary-only readers do without it

    for column in columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            bad = next((v for v in values if not _is_number(v)), values.iloc[0]) \
                if len(values) else None
            raise ResultsError(path, column, f"must hold numbers, got {bad!r:.40}")
        finite = values.dropna() if blanks else values
        if not finite.map(math.isfinite).all() or (not blanks and values.isna().any()):
            raise ResultsError(path, column, "must hold finite numbers"
                               + ("" if blanks else ", no blank cells"))
