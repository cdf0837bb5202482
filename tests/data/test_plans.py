"""The budget-plan rows: known plans, the baseline's choice in each conflict, sources, bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from data_copies import data_copy

from sim.data.base import ALLIES
from sim.data.plans import (
    ALLIANCE,
    BASES,
    CORE_MAPPINGS,
    CURRENCIES,
    PLANS_FILE,
    STATUSES,
    baseline_by_year,
    baseline_rows,
    load_plans,
)
from sim.errors import DataError
from sim.resources import calibration_dir

DATA = calibration_dir() / "data"


def _copy(tmp_path: Path, edit=None) -> Path:
    return data_copy(tmp_path, PLANS_FILE, edit)


def _row(code, line):
    return next(r for r in load_plans()[code] if r.line == line)


def test_germany_2029_budget_in_money():
    plan = baseline_by_year("DEU", "money")[2029]
    assert (plan.value, plan.currency, plan.unit, plan.status) == (152.8, "EUR", "EUR bn",
                                                                    "proposal")
    assert plan.measure == "defence expenditure in federal budget"
    assert plan.core_mapping == "national line" and "3.5%" in plan.core_relation
    assert plan.source.startswith("taz / AFP")
    # The finance plan's series, one definition (EP14 + special fund) for 2025-2029.
    assert {y: p.value for y, p in baseline_by_year("DEU", "money").items()} == {
        2025: 86.5, 2026: 108.2, 2027: 93.3, 2028: 136.5, 2029: 152.8}


@pytest.mark.parametrize(("code", "kind", "year", "value", "rejected"), [
    ("DEU", "share", 2029, 3.5, 3.05),  # the finance plan's quota over a secondary report
    ("FRA", "money", 2024, 47.0, 48.5),  # the programming law over a Senate-debate figure
    ("FRA", "money", 2026, 57.1, 53.0),  # the year's draft budget over the law's step
    ("POL", "share", 2025, 4.48, None),  # NATO's own estimate (4.7 / 4.1 are not rows)
    ("POL", "share", 2026, 4.8, 4.7),  # the cabinet draft over a pre-cabinet report
    ("LVA", "share", 2026, 4.9, 4.0),  # the later draft budget over the Feb 2025 decision
    ("CZE", "share", 2026, 2.0, 2.2),  # the sitting government over its predecessor
    ("USA", "money", 2026, 838.7, 1010.0),  # enacted appropriations (an assumption)
])
def test_each_conflict_has_one_baseline_row(code, kind, year, value, rejected):
    chosen = baseline_by_year(code, kind)[year]
    assert chosen.value == value and chosen.baseline_note
    if rejected is not None:
        others = [r for r in load_plans()[code]
                  if r.covers(year) and r.kind == kind and r.value == rejected]
        assert others and not any(r.in_baseline for r in others)


def test_germany_2026_share_is_not_mappable_and_unused():
    row = _row("DEU", 16)
    assert (row.value, row.core_mapping, row.baseline) == (2.5, "not mappable", "no")
    assert 2026 not in baseline_by_year("DEU", "share")


def test_unresolved_conflicts_are_named_assumptions():
    assumed = {(r.code, r.line) for rows in load_plans().values() for r in rows
               if r.baseline == "assumed"}
    assert assumed == {("FRA", 26), ("SWE", 85), ("USA", 103)}
    sweden = {r.year_from: r.baseline for r in load_plans()["SWE"] if r.value == 3.5}
    assert sweden == {2030: "assumed", 2032: "no"}
    assert "2032" in _row("SWE", 85).baseline_note


def test_a_one_year_row_takes_its_year_from_a_multi_year_row():
    spain = baseline_by_year("ESP", "share")
    assert spain[2025].value == 2.0 and spain[2025].year_from == spain[2025].year_to == 2025
    assert [spain[y].value for y in range(2026, 2036)] == [2.1] * 10
    assert spain[2030].period == "2025-2035" and spain[2030].status == "statement"
    belgium = baseline_by_year("BEL", "share")
    assert [belgium[y].value for y in (2025, 2033, 2034)] == [2.0, 2.0, 2.5]


def test_ranges_and_open_ended_rows():
    lithuania = _row("LTU", 79)
    assert (lithuania.low, lithuania.high, lithuania.value) == (5.0, 6.0, None)
    estonia = baseline_by_year("EST", "share", last_year=2040)
    assert estonia[2026].value == 5.4 and estonia[2040].low == 5.0  # 'at least', open-ended
    assert estonia[2027].year_to is None


def test_italy_plan_is_increments_in_points_of_gdp():
    italy = baseline_by_year("ITA", "share")
    assert [(italy[y].low, italy[y].currency, italy[y].basis) for y in (2026, 2027, 2028)] == [
        (0.15, "pp of GDP", "increment"), (0.3, "pp of GDP", "increment"),
        (0.5, "pp of GDP", "increment")]
    assert "excessive deficit" in italy[2026].note


def test_every_row_is_categorised_and_sourced():
    plans = load_plans()
    assert sum(len(rows) for rows in plans.values()) == 109
    assert set(plans) - {ALLIANCE} <= set(ALLIES) and len(set(plans) - {ALLIANCE}) == 19
    for rows in plans.values():
        for r in rows:
            assert r.status in STATUSES and r.currency in CURRENCIES and r.basis in BASES
            assert r.core_mapping in CORE_MAPPINGS and r.core_relation and r.baseline_note
            assert r.source.count(",") >= 2 and r.via.strip(), r.line
            assert r.unit.startswith(r.currency)
            if r.in_baseline:
                assert r.core_mapping in ("core", "national line") and r.basis != "cumulative"


def test_baseline_rows_per_ally():
    usa = baseline_rows("USA")
    assert [(r.line, r.value) for r in usa] == [(103, 838.7)]
    assert baseline_rows("FIN") == ()  # no published plan in the file
    assert baseline_rows(ALLIANCE) == ()  # the Hague pledge is not an ally's plan


def test_a_non_number_names_file_line_and_column(tmp_path):
    folder = _copy(tmp_path, lambda rows: rows[5].update(value="lots"))
    with pytest.raises(DataError, match=rf"{PLANS_FILE}: line 7: column 'value' is not a "
                                        r"number or a range 'a-b': 'lots'"):
        load_plans(folder)


def test_an_unknown_status_or_currency(tmp_path):
    folder = _copy(tmp_path / "a", lambda rows: rows[0].update(status="promise"))
    with pytest.raises(DataError, match=r"line 2: column 'status' must be one of enacted, "
                                        r"proposal, target, statement; got 'promise'"):
        load_plans(folder)
    folder = _copy(tmp_path / "b", lambda rows: rows[0].update(currency="USD"))
    with pytest.raises(DataError, match=r"line 2: column 'currency': 'USD' does not match the "
                                        r"unit 'EUR bn'"):
        load_plans(folder)


def test_two_baseline_rows_for_one_ally_year_are_refused(tmp_path):
    # Line 31 is France's 48.5bn for 2024, beside the law's 47bn (line 23).
    def both(rows):
        rows[29].update(baseline="yes")

    with pytest.raises(DataError, match=rf"{PLANS_FILE}: lines 23 and 31: two baseline money "
                                        r"plans for FRA 2024"):
        load_plans(_copy(tmp_path, both))


def test_an_unmappable_or_unnamed_assumption_cannot_be_baseline(tmp_path):
    folder = _copy(tmp_path / "a", lambda rows: rows[14].update(baseline="yes"))  # line 16
    with pytest.raises(DataError, match=r"line 16: column 'baseline': a 'not mappable' row "
                                        r"cannot be a baseline plan"):
        load_plans(folder)
    folder = _copy(tmp_path / "b", lambda rows: rows[24].update(baseline_note="the law"))
    with pytest.raises(DataError, match=r"line 26: column 'baseline_note': an 'assumed' row"):
        load_plans(folder)


def test_a_row_without_its_source_is_refused(tmp_path):
    folder = _copy(tmp_path, lambda rows: rows[3].update(source_publisher=" "))
    with pytest.raises(DataError, match=r"line 5: column 'source_publisher' is empty"):
        load_plans(folder)


def test_a_short_row_names_its_line(tmp_path):
    folder = _copy(tmp_path)
    path = folder / PLANS_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "DEU,2030,defence budget\n")
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=r"line 4: 3 fields where the header has 21"):
        load_plans(folder)


def test_row_references_in_the_notes_point_at_the_same_ally():
    plans = load_plans()
    lines = {r.line: r.code for rows in plans.values() for r in rows}
    cited = 0
    for rows in plans.values():
        for r in rows:
            for text in (r.baseline_note, r.core_relation):
                for ref in re.findall(r"\brows? (\d+)(?:(?:-|, )(\d+)\b(?!\.))?", text):
                    for number in filter(None, ref):
                        assert lines[int(number)] == r.code, (r.line, number)
                        cited += 1
    assert cited > 40


def test_the_us_fork_figures_are_rows_outside_the_baseline():
    # The FY2027 request (line 106) and its comparable FY2026 level (line 109): both DoD base
    # plus reconciliation; line 110 is the request's base part, comparable to line 103.
    request, comparable, base = _row("USA", 106), _row("USA", 109), _row("USA", 110)
    assert (request.value, comparable.value, base.value) == (1500.0, 991.0, 1150.0)
    assert (comparable.year_from, base.year_from) == (2026, 2027)
    assert not any(r.in_baseline for r in (request, comparable, base))
    assert "row 106" in comparable.core_relation and "row 103" in base.core_relation
