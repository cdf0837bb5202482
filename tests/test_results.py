"""Results: probabilities, intervals and quantiles read from the tally."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import sim
from sim.errors import OptionError
from sim.spending.tally import SHARE_BINS, SHARE_MAX, share_bin, share_bounds
from sim.statistics import histogram_quantiles


@pytest.fixture(scope="module")
def baseline_results():
    return sim.run(sim.load_scenario("baseline"), draws=5_000, seed=3)


def test_probabilities_are_in_the_unit_interval(baseline_results):
    probabilities = list(baseline_results.headline().values())
    for code in baseline_results.codes:
        probabilities += [baseline_results.p_meet_core(code), baseline_results.p_meet_goal(code),
                          baseline_results.p_credible(code)]
    for p in probabilities:
        assert 0.0 <= p.ci95[0] <= p.p <= p.ci95[1] <= 1.0


def test_meeting_the_goal_implies_meeting_the_core_goal(baseline_results):
    for code in baseline_results.codes:
        assert baseline_results.p_meet_goal(code).p <= baseline_results.p_meet_core(code).p
    head = baseline_results.headline()
    assert head["all_allies_meet_goal"].p <= head["all_allies_meet_core"].p
    assert head["alliance_meets_goal"].p <= head["alliance_meets_core"].p


def test_allies_already_above_the_goal_in_the_base_year(baseline_results):
    # Lithuania's 2026 core share (5.33%) is above 3.5%: reached in the base year.
    assert baseline_results.median_year_core_reached("LTU") == 2026


def test_labelled_frame(baseline_results):
    frame = baseline_results.quantile_frame("core", 0.5)
    assert frame.loc["LTU", 2026] == pytest.approx(5.33, abs=0.01)
    assert list(frame.columns) == list(range(2026, 2036))


@given(low=st.floats(1.0, 4.0), raise_by=st.floats(0.01, 2.0), seed=st.integers(0, 1000))
def test_raising_the_goal_never_raises_a_probability(low, raise_by, seed):
    base = sim.load_scenario("analytic")
    easy = base.with_values({"goal.core": low, "goal.total": 6.0})
    hard = base.with_values({"goal.core": low + raise_by, "goal.total": 6.0 + raise_by})
    a = sim.run(easy, draws=600, seed=seed, block_size=200)
    b = sim.run(hard, draws=600, seed=seed, block_size=200)
    for code in a.codes:
        assert b.p_meet_core(code).p <= a.p_meet_core(code).p
        assert b.p_meet_goal(code).p <= a.p_meet_goal(code).p
    for name, p in b.headline().items():
        if name != "alliance_credible_path":  # the review line moves with the goal
            assert p.p <= a.headline()[name].p, name


# --- arguments out of their domain -------------------------------------------------------------


@pytest.mark.parametrize(("share", "problem"), [
    ("related", "share: must be 'core' or 'total', got 'related' (related spending is tallied "
                "only inside the total: core + related)"),
    ("foo", "share: must be 'core' or 'total', got 'foo'"),
    ("Total", "share: must be 'core' or 'total', got 'Total' (did you mean 'total'?)"),
    (None, "share: must be 'core' or 'total', got None"),
])
@pytest.mark.parametrize("method", ["quantile_frame", "share_quantiles", "alliance_quantiles",
                                    "shortfall_quantiles", "alliance_shortfall_quantile"])
def test_a_share_other_than_core_or_total_is_refused(baseline_results, method, share, problem):
    with pytest.raises(OptionError) as caught:
        getattr(baseline_results, method)(share, 0.5)
    assert str(caught.value) == problem


@pytest.mark.parametrize(("q", "problem"), [
    (50, "q: must be a quantile from 0 to 1, got 50 (a fraction, not a percent: 0.5 for 50%)"),
    (-1, "q: must be a quantile from 0 to 1, got -1"),
    (1.5, "q: must be a quantile from 0 to 1, got 1.5 (a fraction, not a percent: 0.015 for "
          "1.5%)"),
    (np.float64(250.0), "q: must be a quantile from 0 to 1, got np.float64(250.0)"),
    (float("nan"), "q: must be a quantile from 0 to 1, got nan"),
    (True, "q: must be a quantile from 0 to 1, got True"),
    ("0.5", "q: must be a quantile from 0 to 1, got '0.5'"),
    (10**400, f"q: must be a quantile from 0 to 1, got {10**400}"),  # beyond any float
])
@pytest.mark.parametrize("method", ["quantile_frame", "share_quantiles", "alliance_quantiles",
                                    "shortfall_quantiles", "alliance_shortfall_quantile"])
def test_a_quantile_outside_0_to_1_is_refused(baseline_results, method, q, problem):
    with pytest.raises(OptionError) as caught:
        getattr(baseline_results, method)("core", q)
    assert str(caught.value) == problem


def test_quantiles_at_the_ends_of_0_to_1_are_taken(baseline_results):
    low, high = (baseline_results.quantile_frame("core", q) for q in (0, np.float32(1)))
    assert (low <= baseline_results.quantile_frame("core", 0.5)).all(axis=None)
    assert (baseline_results.quantile_frame("core", 0.5) <= high).all(axis=None)


@pytest.mark.parametrize(("code", "problem"), [
    ("XXX", "ally: must be the ISO3 code of one of this run's 31 assessed allies "
            "(results.codes), got 'XXX'"),
    ("deu", "ally: must be the ISO3 code of one of this run's 31 assessed allies "
            "(results.codes), got 'deu' (did you mean 'DEU'?)"),
    ("Germany", "ally: must be the ISO3 code of one of this run's 31 assessed allies "
                "(results.codes), got 'Germany' (did you mean 'DEU'?)"),
    ("ISL", "ally: ISL (Iceland) is not assessed: no armed forces and no NATO spending figures"),
    (7, "ally: must be an ISO3 code such as 'ALB', got 7"),
])
@pytest.mark.parametrize("method", ["p_meet_core", "p_meet_goal", "p_credible",
                                    "median_year_core_reached"])
def test_an_unknown_ally_is_refused_with_the_closest_code(baseline_results, method, code,
                                                          problem):
    with pytest.raises(OptionError) as caught:
        getattr(baseline_results, method)(code)
    assert str(caught.value) == problem


def test_an_ally_left_out_of_the_scenario_is_named_so():
    results = sim.run(sim.load_scenario("analytic"), draws=200, seed=1)
    with pytest.raises(OptionError) as caught:
        results.p_meet_goal("FRA")
    assert str(caught.value) == ("ally: FRA (France) is not in this run's scenario 'analytic' "
                                 "(DEU, POL)")


# --- shares beyond the histograms' range -------------------------------------------------------


def test_a_share_of_20_percent_or_more_has_a_bin_of_its_own():
    assert share_bin(np.array([19.995, np.nextafter(SHARE_MAX, 0), SHARE_MAX, 35.0])).tolist() \
        == [1999, 1999, SHARE_BINS - 1, SHARE_BINS - 1]
    low, high = share_bounds()
    assert (low[-1], high[-1], high[-2]) == (SHARE_MAX, np.inf, SHARE_MAX)


@given(values=st.lists(st.floats(0.0, 40.0), min_size=1, max_size=60), q=st.floats(0.0, 1.0))
@example(values=[19.0, 25.0], q=0.5)  # the median: inside the first value's bin
@example(values=[19.0, 25.0], q=0.5000001)  # above it: in the bin of 20% and above
def test_a_quantile_above_20_percent_is_inf_never_capped(values, q):
    shares = np.array(values)
    counts = np.bincount(share_bin(shares), minlength=SHARE_BINS)
    quantile = histogram_quantiles(counts, share_bounds(), q)
    below = int((shares < SHARE_MAX).sum())
    # Read as the quantiles are: the first bin whose cumulative count reaches q * draws.
    assert (quantile == np.inf) == (below < q * len(values))
    if quantile != np.inf:
        assert 0.0 <= quantile <= SHARE_MAX


@pytest.fixture(scope="module")
def beyond_range():
    """Poland's core share held at 25% of GDP; Germany's rising from 2% to 30% by 2035."""
    scenario = sim.load_scenario("analytic").with_values(
        {"allies.POL.core_base": 25.0, "allies.DEU.policy.target": 30.0})
    return sim.run(scenario, draws=1000, seed=2)


def test_shares_beyond_the_range_read_inf_and_are_counted(beyond_range):
    results = beyond_range
    core = results.quantile_frame("core", 0.5)
    assert (core.loc["POL"] == np.inf).all()
    germany = core.loc["DEU"]
    assert germany[2026] == pytest.approx(2.0, abs=0.01) and germany[2035] == np.inf
    assert list(np.isinf(germany)) == [year >= 2033 for year in results.years]
    above = results.draws_above_range("core")  # (allies + 1, years): DEU, POL, the alliance
    assert above.shape == (3, len(results.years))
    assert (above[1] == results.draws).all() and above[0, 0] == 0
    assert above[0, -1] == results.draws
    alliance = results.alliance_quantiles("core", 0.5)
    assert np.isfinite(alliance[0]) and alliance[-1] == np.inf
    assert list(above[2] > results.draws / 2) == list(alliance == np.inf)
    # The exact counts are not binned: Poland meets any goal up to its 25%.
    assert results.p_meet_core("POL").p == 1.0


# --- a first look ------------------------------------------------------------------------------


def test_repr_is_a_few_lines_of_what_was_run_and_the_headline(baseline_results):
    text = repr(baseline_results)
    lines = text.splitlines()
    assert len(lines) <= 8 and len(text) < 600
    assert lines[0] == "<Results of scenario 'baseline': 5,000 draws, seed 3"
    assert lines[1] == "  31 assessed allies, 2026-2035; goal 3.5% core and 5% total by 2035"
    goal = baseline_results.headline()["alliance_meets_goal"]
    assert f"  P(alliance meets the goal)              {goal.p:.3f} [{goal.ci95[0]:.3f}-" \
           f"{goal.ci95[1]:.3f}]" in lines
    assert "P(alliance on a credible path in 2029)" in text and text.endswith("]>")
    assert len(repr(baseline_results.tally)) < 80
    assert len(repr(baseline_results.tally.pack())) < 80


def test_repr_of_an_aid_run_adds_the_needs_met_and_the_joint_probabilities(aid_run):
    results, _ = aid_run
    tally = results.aid_tally
    shown = [("P(Ukraine's needs met in 2026)", tally.p_needs_met(0)),
             ("P(alliance meets the goal in 2035 and every year's needs)",
              tally.p_goal_and_needs_met()),
             ("P(alliance meets the core goal in 2035 and every year's needs)",
              tally.p_core_and_needs_met())]
    width = len(shown[2][0])  # the longest label sets the column
    lines = [f"  {label:<{width}}  {p.p:.3f} [{p.ci95[0]:.3f}-{p.ci95[1]:.3f}]"
             for label, p in shown]
    assert repr(results).splitlines()[-3:] == [*lines[:2], lines[2] + ">"]


class _Cells(HTMLParser):
    """The tags and the text of each table cell of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("th", "td"):
            self.cells.append("")

    def handle_data(self, data):
        if self.cells:
            self.cells[-1] += data


def test_the_notebook_table_escapes_the_scenario_name():
    scenario = sim.load_scenario("analytic").with_values({"scenario.name": '<b>x</b> & "y"'})
    results = sim.run(scenario, draws=200, seed=1)
    page = results._repr_html_()
    parsed = _Cells()
    parsed.feed(page)
    assert set(parsed.tags) == {"table", "caption", "tr", "th", "td"}
    cells = dict(zip(parsed.cells[::2], parsed.cells[1::2], strict=True))
    assert cells["scenario"] == '<b>x</b> & "y"'
    assert cells["run"] == "200 draws, seed 1"
    goal = results.headline()["alliance_meets_goal"]
    assert cells["P(alliance meets the goal)"] == (
        f"{goal.p:.3f}  (95% CI {goal.ci95[0]:.3f}-{goal.ci95[1]:.3f})")
    assert len(page) < 3000


def test_p_share_at_least_counts_the_draws_at_or_above_a_share_in_a_year():
    # Analytic, no noise for Poland: flat at 4.0 every year, so P(core >= 4.0) is 1 and
    # P(core >= 4.01) is 0; Germany's noisy ramp gives something strictly between in 2035.
    scenario = sim.load_scenario("analytic").with_values({"allies.POL.policy.noise": 0.0})
    results = sim.run(scenario, draws=500, seed=2)
    assert results.p_share_at_least("POL", 4.0, 2030).p == 1.0
    assert results.p_share_at_least("POL", 4.01, 2030).p == 0.0
    assert 0.0 < results.p_share_at_least("DEU", 3.5, 2035).p < 1.0
    assert results.p_share_at_least("DEU", 3.5, 2035).p == results.p_meet_core("DEU").p
    with pytest.raises(OptionError, match=r"0\.01-pp steps"):
        results.p_share_at_least("DEU", 3.505, 2035)
    with pytest.raises(OptionError, match="year"):
        results.p_share_at_least("DEU", 3.5, 2040)


_DISTRIBUTIONS = [
    ("p_share_at_least", ("DEU", 3.5, 2029)), ("share_quantiles", ("core", 0.5)),
    ("alliance_quantiles", ("total", 0.5)), ("draws_above_range", ("core",)),
    ("shortfall_quantiles", ("core", 0.5)), ("alliance_shortfall_quantile", ("total", 0.5)),
    ("median_year_core_reached", ("DEU",)), ("median_year_core_reached", ()),
    ("bands", ()),
]


@pytest.fixture(scope="module")
def probabilities_only():
    scenario = sim.load_scenario("baseline")
    return (sim.run(scenario, draws=3000, seed=11, distributions=False),
            sim.run(scenario, draws=3000, seed=11))


def test_a_run_of_the_probabilities_alone_gives_a_full_runs_probabilities(probabilities_only):
    alone, full = probabilities_only
    assert alone.headline() == full.headline()
    assert all(alone.p_meet_goal(code) == full.p_meet_goal(code)
               and alone.p_credible(code) == full.p_credible(code) for code in full.codes)


@pytest.mark.parametrize(("method", "arguments"), _DISTRIBUTIONS,
                         ids=[f"{m}{len(a)}" for m, a in _DISTRIBUTIONS])
def test_a_run_of_the_probabilities_alone_refuses_its_distributions(probabilities_only, method,
                                                                    arguments):
    alone, full = probabilities_only
    getattr(full, method)(*arguments)  # counted in a full run
    with pytest.raises(OptionError, match="counted the probabilities only"):
        getattr(alone, method)(*arguments)


def test_distributions_must_be_true_or_false():
    with pytest.raises(OptionError, match="distributions: must be true or false"):
        sim.run(sim.load_scenario("analytic"), draws=10, distributions="no")
