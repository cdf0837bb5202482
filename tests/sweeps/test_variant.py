"""One variant of a sweep, run where a worker runs it (sim/sweeps/variant.py)."""

from __future__ import annotations

import pickle

from sweep_files import FOLLOW, GROWTH, sweep_text

from sim import SweepSpec
from sim.scenario import Scenario
from sim.sweeps import variant


def test_a_workers_variants_are_built_from_the_first_copy_of_their_sweeps_base(tmp_path,
                                                                                monkeypatch):
    # A Dask worker gets the base unpickled with every task, a new object each time; with the
    # sweep's digest it builds every variant from the first copy it got, whose tables the
    # variants after it reuse.
    path = tmp_path / "s.toml"
    path.write_text(sweep_text(design="lhs", samples=4, seed=3, draws=200,
                               parameters=(FOLLOW, GROWTH)), encoding="utf-8")
    spec = SweepSpec.from_file(path)
    values = spec.variants()[0]
    first, second = (pickle.loads(pickle.dumps(spec.base)) for _ in range(2))
    built: list[Scenario] = []
    with_values = Scenario.with_values
    monkeypatch.setattr(Scenario, "with_values",
                        lambda self, v: built.append(self) or with_values(self, v))
    monkeypatch.setattr(variant, "_BASES", {})
    rows = [variant.run_variant(base, 0, values, spec.draws, spec.seed, False, "digest")
            for base in (first, second)]
    assert built[0] is first and built[1] is first
    assert rows[0] == rows[1]
    variant.run_variant(second, 0, values, spec.draws, spec.seed)  # no digest: its own base
    assert built[2] is second
