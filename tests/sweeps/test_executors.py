"""Executors: one interface, chosen by name; each yields every task's result, in any order."""

from __future__ import annotations

import pytest

from sim.errors import OptionError
from sim.sweeps.designs import variant_seed
from sim.sweeps.executors import EXECUTORS, Dask, Executor, ProcessPool, executor

#: Tasks of a function the pool's processes can import by name: variants 0-11 of sweep seed 9.
TASKS = [(9, index) for index in range(12)]
EXPECTED = [variant_seed(*task) for task in TASKS]


def test_executors_are_chosen_by_name() -> None:
    assert EXECUTORS == ("processes", "dask")
    assert isinstance(executor("processes", 2), ProcessPool)
    chosen = executor("dask", 3, "tcp://127.0.0.1:8786")
    assert isinstance(chosen, Dask)
    assert (chosen.workers, chosen.scheduler) == (3, "tcp://127.0.0.1:8786")
    assert chosen.describe() == "executor=dask scheduler=tcp://127.0.0.1:8786"
    assert executor("processes", 1).describe() == "executor=processes scheduler=local"


def test_an_unknown_executor_or_a_scheduler_it_cannot_use_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="executor: must be one of processes, dask, got 'dsak'"):
        executor("dsak", 1)
    with pytest.raises(OptionError, match="only the dask executor takes a scheduler"):
        executor("processes", 2, "tcp://127.0.0.1:8786")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_process_pool_yields_every_result_once(workers) -> None:
    pool: Executor = ProcessPool(workers)
    # More tasks than the two per worker kept in flight: the queue refills as results come.
    assert sorted(pool.map_unordered(variant_seed, iter(TASKS))) == sorted(EXPECTED)


def test_a_local_dask_cluster_yields_every_result_once() -> None:
    cluster: Executor = Dask(1)
    assert sorted(cluster.map_unordered(variant_seed, iter(TASKS))) == sorted(EXPECTED)
