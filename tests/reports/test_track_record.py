"""The track-record page, built from hand-made backtests: its tables, charts, misses and files."""

from __future__ import annotations

import numpy as np
import pytest
from page_checks import assert_valid_report

from sim.calibration.backtest import Backtest
from sim.calibration.scores import baselines
from sim.errors import OptionError
from sim.reports.track_record import (
    TRACK_RECORD_CHARTS,
    count_table,
    misses_table,
    scores_table,
    track_record_page,
    write_track_record,
)

CODES = ("<b>&", "BBB")  # the ally that misses has a code that must be escaped in HTML


def _backtest(fit_until: int, seed: int) -> Backtest:
    # Two allies from fit_until + 1 to 2026; draws N(1.5, 0.3) and N(2.5, 0.3), actual shares
    # 1.5 and 2.5 but for the first ally, far above its band in the last year.
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    years = tuple(range(fit_until + 1, 2027))
    centre = np.array([1.5, 2.5])
    share = centre + 0.3 * rng.standard_normal((len(years), 400, 2))  # (years, draws, allies)
    actual = np.broadcast_to(centre, (len(years), 2)).copy()  # (years, allies)
    actual[-1, 0] = 4.0
    seen = np.array([[1.4, 2.4], [1.5, 2.5], [1.45, 2.55], [1.5, 2.5]])  # (years, allies)
    return Backtest.from_draws(fit_until, CODES, years, actual, share, None,
                               baselines(seen, fit_until, np.asarray(years) - fit_until))


@pytest.fixture(scope="module")
def results() -> list[Backtest]:
    return [_backtest(2021, 1), _backtest(2023, 2)]


def test_scores_table_has_a_row_per_cut_off_with_every_baseline(results):
    table = scores_table(results)
    assert table.index.tolist() == [2021, 2023]
    for name in ("persistence", "trend", "pledge"):
        assert f"CRPS {name}" in table and f"skill vs {name}" in table
    assert table.loc[2023, "ally-years"] == 6
    assert table.loc[2021, "CRPS"] == pytest.approx(results[0].scores()["crps"])


def test_misses_name_the_ally_outside_its_band(results):
    misses = misses_table(results)
    above = misses[(misses["ally"] == "<b>&") & (misses["year"] == 2026)]
    assert above.index.tolist() == [2021, 2023] and (above["side"] == "above").all()
    assert above["by pp"].iloc[0] == pytest.approx(4.0 - results[0].quantiles[4, -1, 0])


def test_count_table_says_whether_the_actual_count_lies_in_each_interval(results):
    counts = count_table(results)
    assert counts.loc[2023, "year"].tolist() == [2024, 2025, 2026]
    assert counts["actual"].tolist()[:2] == [1, 1]  # only the ally at 2.5 is at 2%


def test_write_track_record_writes_a_self_contained_page(results, tmp_path):
    out = tmp_path / "record"
    written = write_track_record(results, out)
    assert sorted(p.name for p in written[2:]) == sorted(TRACK_RECORD_CHARTS)
    html = assert_valid_report(written, out)
    assert "&lt;b&gt;&amp;" in html and "<b>&" not in html
    assert "Reliability diagram" in html and "PIT histograms" in html
    assert "Ally-years outside the 90% interval" in html


def test_write_track_record_refuses_a_file_or_a_run_folder(results, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OptionError, match="exists and is not a folder"):
        write_track_record(results, tmp_path / "file")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text("{}")
    with pytest.raises(OptionError, match="holds a run"):
        write_track_record(results, tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["summary.json"]


def test_a_page_needs_a_backtest():
    with pytest.raises(ValueError, match="at least one backtest"):
        track_record_page([])
