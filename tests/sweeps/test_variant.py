"""One variant of a sweep, run where a worker runs it (sim/sweeps/variant.py)."""

from __future__ import annotations

import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

from sweep_files import FOLLOW, GROWTH, sweep_text

import sim
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


def test_each_thread_has_its_own_shared_draws_and_a_sweep_here_lets_them_go(write_toml,
                                                                         tmp_path) -> None:
    # A Dask worker of several threads runs variants side by side: a workspace is one run's.
    both = threading.Barrier(2)

    def held(_: int) -> object:
        shared = variant._shared_draws()
        both.wait(timeout=30)  # two threads at once, each holding its own
        return shared

    with ThreadPoolExecutor(max_workers=2) as threads:
        first, second = threads.map(held, range(2))
    here = variant._shared_draws()
    assert here is variant._shared_draws()
    assert len({id(first), id(second), id(here)}) == 3
    sim.sweep(write_toml(sweep_text(design="lhs", samples=3, seed=9, draws=300,
                                    parameters=(FOLLOW, GROWTH)), "sweep.toml"),
              out=tmp_path / "out")
    assert "draws" not in variant._LOCAL.__dict__
