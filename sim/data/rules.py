"""The fiscal rules that widen room for defence: the EU escape clause and Germany's debt brake.

From ``eu_rules.csv`` (copied whole, SAFE loan rows included, though nothing reads those yet):

- the Stability and Growth Pact's **national escape clause** for defence, as the Council
  activated it per state: from its activation date, up to 1.5% of GDP of deviation from the net
  expenditure path tolerated for higher defence spending, for four years (2025–2028);
- **Germany's debt-brake exemption** (Basic Law amended March 2025): defence spending above 1%
  of GDP is exempt from the borrowing limit, from 2025 with no end date.

A period that gives only its length (Germany's "4 years") runs from the activation year.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import attrs

from sim.data.base import ALLIES
from sim.data.sourced import SOURCE_COLUMNS, number, read_rows, source
from sim.errors import DataError
from sim.resources import calibration_dir

RULES_FILE = "eu_rules.csv"
ESCAPE_CLAUSE_RULE = "SGP national escape clause (defence) - activated"
DEBT_BRAKE_RULE = "German debt brake: defence exemption (Art. 109(3), 115(2) GG)"
DEBT_BRAKE_EUR_RULE = "German debt brake: 1% GDP threshold in EUR"
_COLUMNS = ("rule", "member_state", "value", "unit", "period", *SOURCE_COLUMNS, "note")
_YEARS = re.compile(r"\((\d{4})-(\d{4})\)")
_LENGTH = re.compile(r"^(\d+) years?\b")
_FROM = re.compile(r"^from (\d{4})")


@attrs.frozen
class EscapeClause:
    """One state's activation of the national escape clause for defence."""

    code: str
    activated: datetime.date
    cap: float  # % of GDP: the largest deviation tolerated for higher defence spending
    first_year: int
    last_year: int
    years_stated: bool  # False where the period gives only a length (run from activation)
    period: str  # as published
    source: str  # publisher, document, date
    via: str
    note: str

    def covers(self, year: int) -> bool:
        """Whether the clause relaxes the rule in ``year`` (it ends on schedule)."""
        return self.first_year <= year <= self.last_year


@attrs.frozen
class DebtBrakeExemption:
    """Germany's constitutional exemption of defence spending above a share of GDP."""

    code: str
    threshold: float  # % of GDP; defence spending above it is exempt from the borrowing limit
    first_year: int
    last_year: int | None  # None: no end date
    scope: str  # what counts as defence for the exemption, as the source lists it
    source: str
    via: str
    threshold_eur_bn: float | None  # the threshold in EUR bn for one year, as published
    threshold_eur_year: int | None
    threshold_eur_source: str

    def covers(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)


def _date(row: dict[str, str]) -> datetime.date:
    try:
        return datetime.date.fromisoformat(row["source_date"])
    except ValueError:
        raise DataError(f"{row['_where']}: column 'source_date' is not a date (YYYY-MM-DD): "
                        f"{row['source_date']!r}") from None


def _escape_clause(row: dict[str, str]) -> EscapeClause:
    code = row["member_state"]
    if code not in ALLIES:
        raise DataError(f"{row['_where']}: column 'member_state': {code!r} is not an ally")
    activated = _date(row)
    period = row["period"]
    years = _YEARS.search(period)
    length = _LENGTH.match(period)
    if years:
        first, last = int(years.group(1)), int(years.group(2))
    elif length:
        first = activated.year
        last = first + int(length.group(1)) - 1
    else:
        raise DataError(f"{row['_where']}: column 'period' gives neither years '(YYYY-YYYY)' "
                        f"nor a length 'N years': {period!r}")
    if last < first:
        raise DataError(f"{row['_where']}: column 'period' runs backwards: {period!r}")
    cap = number(row, "value")
    if not 0.0 < cap < 100.0:
        raise DataError(f"{row['_where']}: column 'value' must be a share of GDP between 0 "
                        f"and 100, got {cap}")
    return EscapeClause(code=code, activated=activated, cap=cap, first_year=first,
                        last_year=last, years_stated=years is not None, period=period,
                        source=source(row), via=row["retrieved_via"], note=row["note"])


@functools.lru_cache(maxsize=4)
def escape_clause(data_dir: Path | None = None) -> Mapping[str, EscapeClause]:
    """The states that activated the national escape clause for defence, keyed by ISO3 code."""
    path = (data_dir or calibration_dir() / "data") / RULES_FILE
    clauses: dict[str, EscapeClause] = {}
    for row in read_rows(path, _COLUMNS):
        if row["rule"] != ESCAPE_CLAUSE_RULE:
            continue
        clause = _escape_clause(row)
        if clause.code in clauses:
            raise DataError(f"{row['_where']}: a second activation for {clause.code}")
        clauses[clause.code] = clause
    if not clauses:
        raise DataError(f"{path}: no row {ESCAPE_CLAUSE_RULE!r}")
    return MappingProxyType(clauses)


@functools.lru_cache(maxsize=4)
def debt_brake(data_dir: Path | None = None) -> DebtBrakeExemption:
    """Germany's debt-brake exemption for defence spending above 1% of GDP."""
    path = (data_dir or calibration_dir() / "data") / RULES_FILE
    rule: dict[str, str] | None = None
    money: dict[str, str] | None = None
    for row in read_rows(path, _COLUMNS):
        if row["rule"] == DEBT_BRAKE_RULE:
            rule = row
        elif row["rule"] == DEBT_BRAKE_EUR_RULE:
            money = row
    if rule is None:
        raise DataError(f"{path}: no row {DEBT_BRAKE_RULE!r}")
    start = _FROM.match(rule["period"])
    if start is None:
        raise DataError(f"{rule['_where']}: column 'period' does not say 'from YYYY': "
                        f"{rule['period']!r}")
    no_end = "no end date" in rule["period"]
    if not no_end:
        raise DataError(f"{rule['_where']}: column 'period' names no end: only 'no end date' "
                        f"is read, got {rule['period']!r}")
    money_year = None
    if money is not None:
        text = money["period"].strip()
        if not (text.isascii() and text.isdigit() and len(text) == 4):
            raise DataError(f"{money['_where']}: column 'period' is not a year: {text!r}")
        money_year = int(text)
    return DebtBrakeExemption(
        code=rule["member_state"], threshold=number(rule, "value"),
        first_year=int(start.group(1)), last_year=None, scope=rule["note"],
        source=source(rule), via=rule["retrieved_via"],
        threshold_eur_bn=None if money is None else number(money, "value"),
        threshold_eur_year=money_year,
        threshold_eur_source="" if money is None else source(money),
    )
