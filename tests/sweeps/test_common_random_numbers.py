"""Common random numbers in sweeps: each variant on the sweep's seed, the shared normals never
changing a number, the fallback to a stream of its own, and ``independent = true``."""

from __future__ import annotations

import json

import pytest
from sweep_files import FOLLOW, GROWTH, sweep_text

import sim
from sim import SweepSpec, sweep
from sim.errors import OptionError, SweepError
from sim.files import MANIFEST
from sim.sweeps.designs import variant_seed
from sim.sweeps.record import SweepRecord

SWEEP = sweep_text(design="lhs", samples=3, seed=9, draws=300, parameters=(FOLLOW, GROWTH),
                   extra="{extra}")

#: Counts out of 300 draws of main's sweep above before common random numbers (each variant on
#: ``variant_seed(9, i)``), recorded from main's code at 60a93fd: ``independent = true`` must
#: give exactly these.
MAIN_COUNTS = {
    "all_allies_meet_goal": [0, 0, 1],
    "all_allies_meet_core": [1, 1, 4],
    "alliance_meets_goal": [158, 157, 173],
    "alliance_meets_core": [227, 231, 237],
    "alliance_credible_path": [218, 236, 232],
    "p_meet_goal_DEU": [199, 215, 203],
    "p_meet_goal_CAN": [124, 146, 170],
    "p_meet_goal_USA": [169, 163, 175],
    "p_meet_goal_SVN": [14, 12, 16],
}


def _row_probabilities(results: sim.Results) -> dict[str, float]:
    return {**{name: p.p for name, p in results.headline().items()},
            **{f"p_meet_goal_{code}": results.p_meet_goal(code).p for code in results.codes}}


def test_independent_true_gives_mains_table_exactly(write_toml, tmp_path) -> None:
    table = sweep(write_toml(SWEEP.format(extra="independent = true"), "sweep.toml"),
                  out=tmp_path / "out")
    for name, counts in MAIN_COUNTS.items():
        assert table[name].tolist() == [c / 300 for c in counts], name


def test_a_variants_row_is_a_run_on_the_sweep_seed(write_toml, tmp_path) -> None:
    # Three variants run one after another in this process, on its shared normals: each row
    # must be exactly a fresh run of the variant on the sweep's seed.
    path = write_toml(SWEEP.format(extra=""), "sweep.toml")
    spec = SweepSpec.from_file(path)
    table = sweep(path, out=tmp_path / "out")
    for index, values in enumerate(spec.variants()):
        fresh = _row_probabilities(sim.run(spec.base.with_values(values), draws=300, seed=9))
        compared = [name for name in fresh if name in table.columns]
        assert len(compared) == 5 + len(spec.base.codes)
        for name in compared:
            assert table[name][index] == fresh[name], (index, name)


def test_a_variant_of_another_draw_layout_runs_on_a_stream_of_its_own(write_toml,
                                                                      tmp_path) -> None:
    # A longer horizon draws more years: it would read the shared streams in another shape, so
    # it runs on its own seed, as with independent = true; the base's layout shares.
    path = write_toml("""
[sweep]
base = "baseline"
design = "grid"
seed = 4
draws = 200
[[sweep.parameters]]
key = "scenario.horizon"
values = [2035, 2040]
""", "horizon.toml")
    spec = SweepSpec.from_file(path)
    table = sweep(path, out=tmp_path / "out")
    assert spec.base.horizon == 2035
    seeds = [4, variant_seed(4, 1)]
    for index, values in enumerate(spec.variants()):
        fresh = sim.run(spec.base.with_values(values), draws=200, seed=seeds[index])
        assert table["alliance_meets_goal"][index] == fresh.headline()["alliance_meets_goal"].p
        assert table["p_meet_goal_DEU"][index] == fresh.p_meet_goal("DEU").p


def test_the_manifest_records_the_choice_and_a_resume_with_another_is_refused(
        write_toml, tmp_path) -> None:
    common = write_toml(SWEEP.format(extra=""), "common.toml")
    independent = write_toml(SWEEP.format(extra="independent = true"), "independent.toml")
    sweep(common, out=tmp_path / "out")
    doc = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert doc["independent"] is False
    assert SweepRecord.from_folder(tmp_path / "out").independent is False
    assert "random_numbers=common" in (tmp_path / "out" / "sweep.log").read_text()
    with pytest.raises(OptionError, match="holds another sweep"):
        sweep(independent, out=tmp_path / "out", resume=True)
    sweep(independent, out=tmp_path / "other")
    assert SweepRecord.from_folder(tmp_path / "other").independent is True


def test_common_and_independent_sweeps_differ(write_toml, tmp_path) -> None:
    common = sweep(write_toml(SWEEP.format(extra=""), "a.toml"), out=tmp_path / "a")
    independent = sweep(write_toml(SWEEP.format(extra="independent = true"), "b.toml"),
                        out=tmp_path / "b")
    assert common["alliance_meets_goal"].tolist() != independent["alliance_meets_goal"].tolist()


def test_independent_must_be_true_or_false(write_toml) -> None:
    path = write_toml(SWEEP.format(extra="independent = 1"), "sweep.toml")
    with pytest.raises(SweepError, match=r"sweep\.independent: must be true .* got 1"):
        SweepSpec.from_file(path)
