"""The allies' published defence plans, row by row, and the rows the baseline follows.

``budget_plans.csv`` holds every plan row as published (money or share, by year, with its
status and definition, and its source), plus columns saying how the planning model may use it:

- ``year_from``/``year_to``: the calendar years the row covers (a blank ``year_to`` is
  open-ended; fiscal years go to the calendar year holding 9 of their 12 months);
- ``currency``: EUR, PLN, CAD, USD, SEK, DKK, TRY (thousand-millions, ``bn``), ``% GDP`` or
  ``pp of GDP`` (an increase in share);
- ``basis``: ``level`` (the amount in each year covered), ``increment`` (an addition to a
  baseline or to another plan) or ``cumulative`` (a total over the years covered);
- ``core_mapping``: ``core`` (on NATO's definition as published), ``national line`` (a national
  aggregate with a stated relation to core, in ``core_relation``), ``core + related`` (a 5%-style
  total) or ``not mappable`` (the reason in ``core_relation``);
- ``baseline``: ``yes`` (the row the baseline follows for its ally, years and kind), ``assumed``
  (the same, where sources conflict and the choice is a named assumption) or ``no``; the
  one-line reason is in ``baseline_note``, where "row N" means line N of the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import attrs

from sim.data.base import ALLIES
from sim.data.sourced import SOURCE_COLUMNS, choice, read_rows, source
from sim.errors import DataError
from sim.resources import calibration_dir

PLANS_FILE = "budget_plans.csv"
#: The code of rows that are the alliance's, not one ally's (the Hague pledge).
ALLIANCE = "NATO"
STATUSES = ("enacted", "proposal", "target", "statement")
SHARE_UNITS = ("% GDP", "pp of GDP")
CURRENCIES = ("EUR", "PLN", "CAD", "USD", "GBP", "SEK", "DKK", "TRY", *SHARE_UNITS)
BASES = ("level", "increment", "cumulative")
CORE_MAPPINGS = ("core", "national line", "core + related", "not mappable")
BASELINE = ("yes", "assumed", "no")
_COLUMNS = ("iso3", "year", "measure", "value", "unit", "status", "definition",
            *SOURCE_COLUMNS, "note", "year_from", "year_to", "currency", "basis",
            "core_mapping", "core_relation", "baseline", "baseline_note")
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*$")

Kind = Literal["share", "money"]


@attrs.frozen
class PlanRow:
    """One published plan figure, with how the planning model may use it."""

    code: str  # ISO3, or "NATO" for the alliance's own pledge
    year_from: int | None  # first calendar year covered; None where the source gives none
    year_to: int | None  # last calendar year covered; None: open-ended (or no year)
    period: str  # the year as published ("FY2025-26", "by 2035")
    measure: str
    low: float  # the value, or the low end of a published range
    high: float  # the same, or the high end of a published range
    unit: str  # as published ("EUR bn (approx.)")
    currency: str  # one of CURRENCIES
    basis: str  # one of BASES
    status: str  # one of STATUSES
    definition: str
    core_mapping: str  # one of CORE_MAPPINGS
    core_relation: str
    baseline: str  # one of BASELINE
    baseline_note: str
    source: str  # publisher, document, date
    via: str  # how the figure was read
    note: str
    line: int  # line of budget_plans.csv ("row N" in the notes)

    @property
    def value(self) -> float | None:
        """The published value; ``None`` where the source gives a range (see low, high)."""
        return self.low if self.low == self.high else None

    @property
    def kind(self) -> Kind:
        """``share`` for % of GDP (or pp of GDP), ``money`` for a currency amount."""
        return "share" if self.currency in SHARE_UNITS else "money"

    @property
    def in_baseline(self) -> bool:
        return self.baseline != "no"

    def covers(self, year: int) -> bool:
        """Whether the row speaks for ``year``."""
        if self.year_from is None:
            return False
        return self.year_from <= year and (self.year_to is None or year <= self.year_to)


def _value(row: dict[str, str]) -> tuple[float, float]:
    text = row["value"]
    span = _RANGE.match(text)
    try:
        if span:
            low, high = float(span.group(1)), float(span.group(2))
        else:
            low = high = float(text)
    except ValueError:
        raise DataError(f"{row['_where']}: column 'value' is not a number or a range 'a-b': "
                        f"{text!r}") from None
    if low > high:
        raise DataError(f"{row['_where']}: column 'value': range {text!r} runs backwards")
    return low, high


def _optional_year(row: dict[str, str], column: str) -> int | None:
    text = row[column].strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) != 4:
        raise DataError(f"{row['_where']}: column {column!r} is not a year: {text!r}")
    return int(text)


def _plan_row(row: dict[str, str]) -> PlanRow:
    code = row["iso3"]
    if code not in ALLIES and code != ALLIANCE:
        raise DataError(f"{row['_where']}: column 'iso3': {code!r} is not an ally")
    low, high = _value(row)
    currency = choice(row, "currency", CURRENCIES)
    if not row["unit"].startswith(currency):
        raise DataError(f"{row['_where']}: column 'currency': {currency!r} does not match "
                        f"the unit {row['unit']!r}")
    plan = PlanRow(
        code=code, year_from=_optional_year(row, "year_from"),
        year_to=_optional_year(row, "year_to"), period=row["year"], measure=row["measure"],
        low=low, high=high, unit=row["unit"], currency=currency,
        basis=choice(row, "basis", BASES), status=choice(row, "status", STATUSES),
        definition=row["definition"], core_mapping=choice(row, "core_mapping", CORE_MAPPINGS),
        core_relation=row["core_relation"].strip(), baseline=choice(row, "baseline", BASELINE),
        baseline_note=row["baseline_note"].strip(), source=source(row),
        via=row["retrieved_via"], note=row["note"], line=int(row["_line"]),
    )
    if plan.year_from is not None and plan.year_to is not None and plan.year_to < plan.year_from:
        raise DataError(f"{row['_where']}: column 'year_to' {plan.year_to} is before "
                        f"year_from {plan.year_from}")
    for column in ("core_relation", "baseline_note"):
        if not getattr(plan, column):
            raise DataError(f"{row['_where']}: column {column!r} is empty")
    if plan.in_baseline:
        if plan.code == ALLIANCE or plan.core_mapping not in ("core", "national line"):
            raise DataError(f"{row['_where']}: column 'baseline': a {plan.core_mapping!r} row "
                            "cannot be a baseline plan")
        if plan.basis == "cumulative" or plan.year_from is None:
            raise DataError(f"{row['_where']}: column 'baseline': a row without a year's "
                            "figure cannot be a baseline plan")
    if (plan.baseline == "assumed") != plan.baseline_note.startswith("ASSUMPTION"):
        raise DataError(f"{row['_where']}: column 'baseline_note': an 'assumed' row, and only "
                        "one, names its choice 'ASSUMPTION: ...'")
    return plan


def _check_baseline(plans: Mapping[str, tuple[PlanRow, ...]], last_year: int) -> None:
    """At most one one-year and one multi-year baseline row per ally, year and kind."""
    for rows in plans.values():
        for when in range(min((r.year_from or last_year) for r in rows), last_year + 1):
            seen: dict[tuple[str, bool], PlanRow] = {}
            for plan in rows:
                if not (plan.in_baseline and plan.covers(when)):
                    continue
                slot = (plan.kind, plan.year_from == plan.year_to)
                if slot in seen:
                    raise DataError(f"{PLANS_FILE}: lines {seen[slot].line} and {plan.line}: "
                                    f"two baseline {plan.kind} plans for {plan.code} {when}")
                seen[slot] = plan


@functools.lru_cache(maxsize=4)
def load_plans(data_dir: Path | None = None) -> Mapping[str, tuple[PlanRow, ...]]:
    """Every plan row, keyed by ISO3 code (``"NATO"`` for the alliance), in file order.

    Raises :class:`~sim.errors.DataError` naming the file, line and column when the file is
    missing or malformed, a category is not one the model knows, a row lacks its source, or two
    baseline rows claim the same ally, year and kind.
    """
    path = (data_dir or calibration_dir() / "data") / PLANS_FILE
    plans: dict[str, list[PlanRow]] = {}
    for row in read_rows(path, _COLUMNS):
        plan = _plan_row(row)
        plans.setdefault(plan.code, []).append(plan)
    frozen = {code: tuple(rows) for code, rows in plans.items()}
    _check_baseline(frozen, last_year=2035)
    return MappingProxyType(frozen)


def baseline_rows(code: str, data_dir: Path | None = None) -> tuple[PlanRow, ...]:
    """The rows the baseline follows for one ally (``yes`` and ``assumed``), in file order."""
    return tuple(r for r in load_plans(data_dir).get(code, ()) if r.in_baseline)


def baseline_by_year(code: str, kind: Kind, last_year: int = 2035,
                     data_dir: Path | None = None) -> dict[int, PlanRow]:
    """The baseline row of one kind for each year it covers, up to ``last_year``.

    A one-year row speaks for its year over a row covering several years (Spain's 2.0% target
    for 2025 inside its 2.1% position for 2025–2035); an open-ended row runs to ``last_year``.
    """
    chosen: dict[int, PlanRow] = {}
    rows = [r for r in baseline_rows(code, data_dir) if r.kind == kind]
    # Multi-year rows first, so that one-year rows overwrite them in their year.
    for plan in sorted(rows, key=lambda r: r.year_from == r.year_to):
        start = plan.year_from if plan.year_from is not None else last_year + 1
        for when in range(start, last_year + 1):
            if plan.covers(when):
                chosen[when] = plan
    return dict(sorted(chosen.items()))
