"""Scenario discovery: PRIM finds a box planted in synthetic data, and says when there is none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.errors import OptionError
from sim.sweeps.discovery import prim_box


def uniform_inputs(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.random((rows, 4)), columns=["x0", "x1", "x2", "x3"])  # (rows, 4)


@pytest.mark.parametrize("seed", [1, 2])
def test_prim_finds_a_planted_box(seed) -> None:
    inputs = uniform_inputs(1000, seed)
    failing = ((inputs["x0"] < 0.3) & (inputs["x1"] > 0.6)).to_numpy()
    box = prim_box(inputs, failing)
    limits = {limit.parameter: limit for limit in box.limits}
    # Peels remove 5% of the variants at a time, so a limit lands within a few percent of the
    # planted edge; 0.05 is one peel's worth of a uniform coordinate, with room to spare.
    assert limits["x0"].high == pytest.approx(0.3, abs=0.05)
    assert limits["x1"].low == pytest.approx(0.6, abs=0.05)
    assert [limit.parameter for limit in box.restricted] == ["x0", "x1"]
    assert not limits["x2"].restricted and not limits["x3"].restricted
    assert limits["x2"].low == limits["x2"].swept_low
    assert box.coverage > 0.9 and box.density > 0.9
    assert box.mass == pytest.approx(failing.mean(), abs=0.03)
    assert box.meets_threshold
    # The trajectory starts from the whole set of variants and the chosen step is on it.
    first = box.trajectory.iloc[0]
    assert (first["coverage"], first["mass"], first["restricted"]) == (1.0, 1.0, 0)
    assert first["density"] == pytest.approx(failing.mean())
    assert box.dropped == ()
    assert box.trajectory.loc[box.chosen, "coverage"] == pytest.approx(box.coverage)
    assert box.trajectory.loc[box.chosen, "density"] == pytest.approx(box.density)
    assert [limit.describe() for limit in box.restricted] == [
        f"x0 ≤ {limits['x0'].high:.3g}", f"x1 ≥ {limits['x1'].low:.3g}"]


def test_slivers_peeled_off_unimportant_parameters_are_lifted() -> None:
    inputs = uniform_inputs(400, 5)
    rng = np.random.default_rng(6)
    # Failures only where x0 < 0.3, 90% of the time there: peeling toward a density of 0.95
    # trims slivers off other parameters by chance, which add nothing significant.
    failing = (inputs["x0"] < 0.3).to_numpy() & (rng.random(400) < 0.9)
    box = prim_box(inputs, failing, threshold=0.95)
    assert box.trajectory.loc[box.chosen, "restricted"] == 3
    assert set(box.dropped) == {"x1", "x2"}
    assert [limit.parameter for limit in box.restricted] == ["x0"]
    assert box.restricted[0].high == pytest.approx(0.3, abs=0.05)
    # The lifted box is larger: it covers more of the failures.
    assert box.coverage > box.trajectory.loc[box.chosen, "coverage"]


def test_the_threshold_trades_coverage_for_density() -> None:
    inputs = uniform_inputs(1000, 3)
    rng = np.random.default_rng(4)
    # A blurred box: failures inside it 80% of the time, outside it 5%.
    inside = (inputs["x0"] < 0.4).to_numpy()
    failing = rng.random(1000) < np.where(inside, 0.8, 0.05)
    loose, strict = prim_box(inputs, failing, threshold=0.5), prim_box(inputs, failing,
                                                                       threshold=0.85)
    assert loose.coverage >= strict.coverage
    assert loose.density <= strict.density


def test_no_failures_or_only_failures_give_no_box() -> None:
    inputs = uniform_inputs(50, 0)
    for failing, words in ((np.zeros(50, bool), "no variant fails"),
                           (np.ones(50, bool), "every variant fails")):
        box = prim_box(inputs, failing)
        assert not box.found and box.limits == () and np.isnan(box.density)
        assert words in box.note


def test_bad_arguments_are_option_errors() -> None:
    inputs = uniform_inputs(50, 0)
    with pytest.raises(OptionError, match="threshold"):
        prim_box(inputs, np.zeros(50, bool), threshold=1.0)
    with pytest.raises(OptionError, match="one value per row"):
        prim_box(inputs, np.zeros(49, bool))
    with pytest.raises(OptionError, match="numeric parameters only"):
        prim_box(inputs.assign(x3="linear"), np.zeros(50, bool))
