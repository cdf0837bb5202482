"""The IMF GDP deflator: coverage, inflation, the mean the planning model uses, bad files."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from data_copies import data_copy
from hypothesis import given
from hypothesis import strategies as st

from sim.data.base import ALLIES
from sim.data.prices import (
    DEFLATOR_FILE,
    DEFLATOR_VINTAGE,
    deflator_inflation,
    deflator_mean,
    load_deflator,
)
from sim.errors import DataError
from sim.resources import calibration_dir

DATA = calibration_dir() / "data"


def _copy(tmp_path: Path, edit=None) -> Path:
    return data_copy(tmp_path, DEFLATOR_FILE, edit)


def test_every_ally_has_the_index_2024_to_2030():
    prices = load_deflator()
    assert list(prices) == list(ALLIES)
    for code, years in prices.items():
        assert list(years) == list(range(2024, 2031)), code
        assert years[2024].inflation is None
        for when in range(2025, 2031):
            assert years[when].inflation == years[when].index / years[when - 1].index - 1.0
            assert years[when].projection and not years[2024].projection
        assert {p.index_base for p in years.values()} == {years[2024].index_base}


def test_known_values_of_the_october_2025_vintage():
    germany = load_deflator()["DEU"]
    assert (germany[2025].index, germany[2030].index, germany[2025].index_base) == (
        123.034, 136.368, 2020)
    assert deflator_inflation("DEU", 2025) == pytest.approx(123.034 / 120.224 - 1)
    assert deflator_inflation("USA", 2026) == pytest.approx(0.0180, abs=5e-5)
    # Türkiye's inflation is an order above the rest: the reason a deflator must be national.
    assert deflator_inflation("TUR", 2026) == pytest.approx(0.2396, abs=5e-5)


def test_the_mean_compounds_to_the_imf_index():
    for code, years in load_deflator().items():
        mean = deflator_mean(code)
        assert years[2026].index * (1 + mean.value) ** 4 == pytest.approx(years[2030].index)
        lo = min(years[y].inflation for y in range(2027, 2031))
        hi = max(years[y].inflation for y in range(2027, 2031))
        assert lo - 1e-12 <= mean.value <= hi + 1e-12, code
    italy = deflator_mean("ITA")
    assert italy.value == pytest.approx(0.0200, abs=5e-5) and italy.estimate
    assert italy.file == DEFLATOR_FILE
    assert italy.source.startswith("International Monetary Fund") and "2025-10-14" in italy.source
    assert "NGDP_D, geometric mean of 2027-2030" in italy.source and "pyreadr" in italy.via


@given(code=st.sampled_from(sorted(ALLIES)), first=st.integers(2025, 2030),
       span=st.integers(0, 5))
def test_a_one_year_mean_is_that_years_inflation_and_means_lie_within(code, first, span):
    last = min(first + span, 2030)
    mean = deflator_mean(code, first, last).value
    yearly = [deflator_inflation(code, y) for y in range(first, last + 1)]
    if first == last:
        assert mean == pytest.approx(yearly[0], rel=1e-12)
    assert min(yearly) - 1e-12 <= mean <= max(yearly) + 1e-12
    assert math.isfinite(mean)


def test_years_or_allies_outside_the_data_are_refused():
    with pytest.raises(DataError, match=r"deflator years 2024-2030 are not within 2025-2030"):
        deflator_mean("DEU", 2024)
    with pytest.raises(DataError, match=r"deflator years 2029-2028"):
        deflator_mean("DEU", 2029, 2028)
    with pytest.raises(DataError, match=r"no deflator for 'XKX'"):
        deflator_mean("XKX")
    with pytest.raises(DataError, match=r"no deflator inflation for 'DEU' 2024"):
        deflator_inflation("DEU", 2024)


def test_a_mean_is_computed_once_for_the_data_it_was_computed_from():
    # Every ally of every sweep variant asks for its mean again: the same figure is found,
    # while the deflator data read again give a mean of their own.
    first = deflator_mean("DEU")
    assert deflator_mean("DEU") is first
    assert deflator_mean("DEU", 2027, 2029) is not first
    load_deflator.cache_clear()
    again = deflator_mean("DEU")
    assert again is not first and again == first


def test_the_shipped_file_holds_one_vintage_and_indicator():
    with (DATA / DEFLATOR_FILE).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["vintage"], r["indicator"], r["unit"]) for r in rows} == {
        (DEFLATOR_VINTAGE, "NGDP_D", "index")}
    assert len(rows) == 32 * 7


def test_a_non_number_names_file_line_and_column(tmp_path):
    folder = _copy(tmp_path, lambda rows: rows[9].update(value="n/a"))
    with pytest.raises(DataError, match=rf"{DEFLATOR_FILE}: line 11: column 'value' is not a "
                                        r"number: 'n/a'"):
        load_deflator(folder)


def test_a_non_positive_index_is_refused(tmp_path):
    folder = _copy(tmp_path, lambda rows: rows[3].update(value="0"))
    with pytest.raises(DataError, match=r"line 5: column 'value': an index must be positive"):
        load_deflator(folder)


def test_a_missing_year_names_the_ally_and_year(tmp_path):
    folder = _copy(tmp_path, lambda rows: [r for r in rows
                                           if not (r["iso3"] == "POL" and r["year"] == "2027")])
    with pytest.raises(DataError, match=rf"{DEFLATOR_FILE}: no WEO Oct 2025 NGDP_D for POL "
                                        r"2027"):
        load_deflator(folder)


def test_a_duplicate_is_refused_but_another_vintage_is_ignored(tmp_path):
    older = _copy(tmp_path / "older",
                  lambda rows: [*rows, {**rows[0], "vintage": "WEO Apr 2025", "value": "1"}])
    assert load_deflator(older)["ALB"][2024] == load_deflator()["ALB"][2024]
    twice = _copy(tmp_path / "twice", lambda rows: [*rows, rows[0]])
    with pytest.raises(DataError, match=rf"{DEFLATOR_FILE}: line {32 * 7 + 2}: a second "
                                        r"NGDP_D for ALB 2024"):
        load_deflator(twice)


def test_a_change_of_index_base_within_a_series_is_refused(tmp_path):
    def rebase(rows):
        rows[3]["note"] = rows[3]["note"].replace("(2020 = 100)", "(2015 = 100)")

    with pytest.raises(DataError, match=r"line 5: column 'note': ALB's index base changes "
                                        r"from 2020 to 2015"):
        load_deflator(_copy(tmp_path, rebase))


def test_bad_categories_and_a_missing_file(tmp_path):
    folder = _copy(tmp_path / "a", lambda rows: rows[0].update(iso3="XKX"))
    with pytest.raises(DataError, match=r"line 2: column 'iso3': 'XKX' is not an ally"):
        load_deflator(folder)
    folder = _copy(tmp_path / "b", lambda rows: rows[0].update(indicator="PCPIPCH"))
    with pytest.raises(DataError, match=r"line 2: column 'indicator' must be 'NGDP_D', got "
                                        r"'PCPIPCH'"):
        load_deflator(folder)
    folder = _copy(tmp_path / "c", lambda rows: rows[1].update(
        note=rows[1]["note"].replace("IMF staff estimate/projection", "actual")))
    with pytest.raises(DataError, match=r"line 3: 2025 is marked actual but the latest actual "
                                        r"year is 2024"):
        load_deflator(folder)
    with pytest.raises(DataError, match=r"calibration data file is missing"):
        load_deflator(tmp_path / "nowhere")
