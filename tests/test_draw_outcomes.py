"""Tests of sim.draw_outcomes: each draw's headline outcomes, kept a bit a draw, the same bits
however the run is spread over workers, and ``outcomes.npz`` read back without pickle."""

from __future__ import annotations

import io
import json

import attrs
import numpy as np
import pytest

import sim
from sim import draw_outcomes
from sim.draw_outcomes import DrawOutcomes
from sim.errors import ResultsError
from sim.reports.run_files import write_outputs
from sim.spending.tally import Tally


@pytest.fixture(scope="module")
def aid_runs():
    """``udcg-2026`` (threat events and aid) in blocks of 1,001 draws, not whole bytes, on one
    worker and on two."""
    scenario = sim.load_scenario("udcg-2026")
    return [sim.run(scenario, draws=3000, seed=2, block_size=1001, workers=workers,
                    per_draw=True) for workers in (1, 2)]


def test_each_measure_counts_what_the_summary_says(aid_runs, tmp_path):
    results = aid_runs[0]
    write_outputs(results, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    outcomes = DrawOutcomes.from_file(tmp_path / "outcomes.npz")
    assert (outcomes.draws, outcomes.seed, outcomes.block_size) == (3000, 2, 1001)
    years = results.scenario.aid.years
    assert len(outcomes.keys) == 7 + len(years) + 3 + 3 * len(results.codes)
    review = summary["goal"]["review_year"]
    for (measure, entity), count in zip(outcomes.keys, outcomes.counts(), strict=True):
        if entity == "aid":
            p = summary["probabilities"]["ukraine_needs_met"][measure.rsplit("_", 1)[1]]
        elif entity == "alliance":
            p = summary["probabilities"][measure]
        else:
            name = f"{measure}_{review}" if measure == "p_credible_path" else measure
            p = summary["allies"][entity][name]
        assert p["p"] == count / 3000, (measure, entity)


def test_the_bits_are_the_same_on_one_worker_and_two(aid_runs):
    one, two = (r.draw_outcomes for r in aid_runs)
    assert one.keys == two.keys
    assert np.array_equal(one.bits, two.bits)
    assert one.to_bytes() == two.to_bytes()


def test_a_draws_flags_are_its_own(aid_runs):
    """Draw by draw: the joint measure is both of its parts, and the alliance's goal implies
    its core goal."""
    outcomes = aid_runs[0].draw_outcomes
    goal = outcomes.flags(("alliance_meets_goal", "alliance"))
    core = outcomes.flags(("alliance_meets_core", "alliance"))
    every = outcomes.flags(("ukraine_needs_met_every_year", "alliance"))
    joint = outcomes.flags(("alliance_meets_goal_and_ukraine_needs_met", "alliance"))
    assert goal.shape == (3000,) and not (goal & ~core).any()
    assert np.array_equal(joint, goal & every)
    ally_goal = np.stack([outcomes.flags(("p_meet_goal", c)) for c in aid_runs[0].codes])
    assert np.array_equal(ally_goal.all(axis=0),
                          outcomes.flags(("all_allies_meet_goal", "alliance")))


def test_keeping_them_changes_no_count():
    scenario = sim.load_scenario("baseline")
    kept, plain = (sim.run(scenario, draws=1500, seed=4, block_size=512, per_draw=per_draw)
                   for per_draw in (True, False))
    assert plain.draw_outcomes is None and kept.draw_outcomes is not None
    for field in attrs.fields(Tally):
        assert np.array_equal(getattr(kept.tally, field.name), getattr(plain.tally, field.name))


def test_above_the_limit_the_allies_are_left_out(monkeypatch):
    monkeypatch.setattr(draw_outcomes, "ALLY_DRAWS_LIMIT", 999)
    results = sim.run(sim.load_scenario("analytic"), draws=1000, seed=1, per_draw=True)
    assert [entity for _, entity in results.draw_outcomes.keys] == ["alliance"] * 7


def test_the_file_is_the_same_bytes_each_time_and_plain_data(aid_runs, tmp_path):
    outcomes = aid_runs[0].draw_outcomes
    data = outcomes.to_bytes()
    assert data == outcomes.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        assert archive["outcomes"].shape == (len(outcomes.keys), 375)
        assert str(archive["seed"]) == "2"
    (tmp_path / "outcomes.npz").write_bytes(data)
    back = DrawOutcomes.from_file(tmp_path / "outcomes.npz")
    assert back.keys == outcomes.keys and np.array_equal(back.bits, outcomes.bits)


def _archive(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "problem"), [
    (b"not a zip", "cannot be read"),
    (_archive(outcomes=np.zeros((1, 1), np.uint8)), "cannot be read: no array 'measure'; write"),
    (_archive(outcomes=np.zeros((1, 2), np.uint8), measure=np.array(["m"]),
              entity=np.array(["alliance"]), seed=np.array("1"), draws=np.array(8),
              block_size=np.array(8)), r"outcomes: must be uint8 bits of shape \(1, 1\)"),
    (_archive(outcomes=np.zeros((1, 1), np.uint8), measure=np.array(["m"]),
              entity=np.array(["alliance"]), seed=np.array("-1"), draws=np.array(8),
              block_size=np.array(8)), "seed: must be a whole number"),
    (_archive(outcomes=np.zeros((1, 1), np.uint8), measure=np.array([b"m"]),
              entity=np.array(["alliance"]), seed=np.array("1"), draws=np.array(8),
              block_size=np.array(8)), "measure: must be a list of names"),
])
def test_a_broken_file_is_one_error_naming_it(tmp_path, data, problem):
    path = tmp_path / "outcomes.npz"
    path.write_bytes(data)
    with pytest.raises(ResultsError, match=problem) as caught:
        DrawOutcomes.from_file(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_an_object_array_is_refused_unpickled(tmp_path):
    path = tmp_path / "outcomes.npz"
    path.write_bytes(_archive(outcomes=np.array([object()]), measure=np.array(["m"]),
                              entity=np.array(["alliance"]), seed=np.array("1"),
                              draws=np.array(8), block_size=np.array(8)))
    with pytest.raises(ResultsError, match=r"cannot be read: .*allow_pickle"):
        DrawOutcomes.from_file(path)
