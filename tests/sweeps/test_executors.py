"""Executors: one interface, chosen by name; each yields every task's result, in any order."""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pool_faults
import pytest
from invoke import summit

from sim.errors import OptionError, WorkerError
from sim.sweeps import executors
from sim.sweeps.designs import variant_seed
from sim.sweeps.executors import EXECUTORS, Dask, Executor, ProcessPool, executor

#: Tasks of a function the pool's processes can import by name: variants 0-11 of sweep seed 9.
TASKS = [(9, index) for index in range(12)]
EXPECTED = [variant_seed(*task) for task in TASKS]


def test_executors_are_chosen_by_name() -> None:
    assert EXECUTORS == ("processes", "dask")
    assert isinstance(executor("processes", 2), ProcessPool)
    assert isinstance(executor("dask", 3), Dask)
    chosen = Dask(3, "tcp://127.0.0.1:8786")
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


def test_a_process_pool_runs_tasks_here_and_in_its_pool_with_the_shared_arguments_sent_once(
        ) -> None:
    shared = {"base": list(range(1000))}
    results = list(ProcessPool(2).map_unordered(pool_faults.where, [(i,) for i in range(12)],
                                                shared=(shared,)))
    assert sorted(index for index, *_ in results) == list(range(12))
    assert all(given == shared for *_, given in results)
    processes = {pid for _, pid, _, _ in results}
    # The first tasks go to the pool; this process takes one as soon as the pool has its fill.
    assert os.getpid() in processes and len(processes) == 2
    # Each process is given the shared arguments once: every task it runs gets the same object.
    for process in processes:
        assert len({identity for _, pid, identity, _ in results if pid == process}) == 1
    assert {identity for _, pid, identity, _ in results if pid == os.getpid()} == {id(shared)}


def test_a_local_dask_cluster_yields_every_result_once() -> None:
    cluster: Executor = Dask(1)
    assert sorted(cluster.map_unordered(variant_seed, iter(TASKS))) == sorted(EXPECTED)


SWEEP = """\
[sweep]
base = "analytic"
samples = 2
draws = 300

[[sweep.parameters]]
key = "defaults.policy.adjustment"
range = [0.1, 0.6]
"""


@pytest.fixture
def silent_server() -> Iterator[str]:
    """The address of a TCP server that accepts connections and never says a word, as a
    server that is not Dask's would; skipped where no port can be opened."""
    try:
        server = socket.create_server(("127.0.0.1", 0))
    except OSError as err:
        pytest.skip(f"cannot listen on a loopback port: {err}")
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:  # closed at the end of the test
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for connection in accepted:
        connection.close()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "tcp://127.0.0.1", "127.0.0.1:x",
                                     "silent"],
                         ids=["closed-port", "no-port", "bad-port", "not-dask"])
def test_a_scheduler_that_does_not_answer_is_refused_before_the_folder_is_touched(
        capsys, monkeypatch, tmp_path: Path, silent_server: str, address: str) -> None:
    monkeypatch.setattr(executors, "SCHEDULER_SECONDS", 1.0)
    address = silent_server if address == "silent" else address
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP, encoding="utf-8")
    status, _, err = summit(capsys, "sweep", str(sweep_file), "--out", str(tmp_path / "out"),
                            "--executor", "dask", "--scheduler", address)
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"--scheduler: {address}"), err
    assert not (tmp_path / "out").exists()


def test_a_task_whose_process_died_is_run_again_once(tmp_path: Path) -> None:
    marker = tmp_path / "died"
    results = ProcessPool(2).map_unordered(pool_faults.die_once,
                                           [(str(marker), i) for i in range(8)],
                                           lost=pool_faults.lost)
    assert sorted(results) == list(range(8))
    assert marker.exists()  # task 0 went to the pool, and its process died


def test_a_task_whose_process_dies_twice_is_lost_and_no_other_with_it() -> None:
    # The tasks in flight beside it when the pool broke run again on their own, so only the
    # one that kills its process is lost.
    results = list(ProcessPool(2).map_unordered(pool_faults.die_always,
                                                [(i,) for i in range(8)],
                                                lost=pool_faults.lost))
    assert sorted(map(str, results)) == sorted([*map(str, range(1, 8)), "lost 0"])
    with pytest.raises(WorkerError, match=r"died twice running task \(0,\)"):
        list(ProcessPool(2).map_unordered(pool_faults.die_always, [(i,) for i in range(8)]))


class _BreaksOnSecondSubmit:
    """A pool that runs its first batch at once and then, broken, refuses the next."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, run_held, function, batch):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        self.submitted += 1
        if self.submitted > 1:
            raise BrokenProcessPool("a process died")
        done: Future = Future()
        done.set_result([function(*task) for task in batch])
        return done


def test_a_batch_the_broken_pool_refuses_goes_to_the_suspects_not_missing() -> None:
    # The pool can break while this process runs a task of its own; its next submit then
    # raises, with a batch already taken from the queue: that batch must run again later.
    from concurrent.futures.process import BrokenProcessPool

    queue = iter([(i,) for i in range(10)])
    suspects: list = []
    done = []
    with pytest.raises(BrokenProcessPool):
        for result in ProcessPool(2)._beside_pool(_BreaksOnSecondSubmit(), lambda i: i, queue,
                                                  suspects, ()):
            done.append(result)
    left = [task[0] for task in queue]
    assert sorted(done + [task[0] for task in suspects] + left) == list(range(10))
    assert [task[0] for task in suspects]  # the refused batch, at least


class _SlowToStart:
    """A pool whose first submit, which makes its processes, returns once its caller has run a
    task of its own (or after 10 s): as a pool does while its fork server starts."""

    def __init__(self) -> None:
        self.caller_ran = threading.Event()
        self.started_after_caller_ran: bool | None = None

    def submit(self, run_held, function, batch):
        from concurrent.futures import Future

        if self.started_after_caller_ran is None:
            self.started_after_caller_ran = self.caller_ran.wait(timeout=10)
        done: Future = Future()
        done.set_result([function(*task) for task in batch])
        return done


def test_this_process_runs_tasks_while_the_pool_starts() -> None:
    # Making the pool's processes waits for its fork server (~0.4 s the first time): this
    # process runs tasks meanwhile, rather than waiting before its first.
    pool = _SlowToStart()

    def task(index: int) -> int:
        if threading.current_thread() is threading.main_thread():
            pool.caller_ran.set()
        return index

    results = list(ProcessPool(2)._beside_pool(pool, task, iter([(i,) for i in range(10)]),
                                               [], ()))
    assert sorted(results) == list(range(10))
    assert pool.started_after_caller_ran


class _Logged:
    """A pool that finishes each batch at once (its results are its tasks' indices), logging
    each submit to ``events``."""

    def __init__(self, events: list) -> None:
        self.events = events

    def submit(self, run_held, function, batch):
        from concurrent.futures import Future

        self.events.append("submit")
        done: Future = Future()
        done.set_result([("pool", index) for index, in batch])
        return done


def test_a_finished_batch_is_replaced_before_this_process_runs_its_next_task() -> None:
    # Replaced only after this process's next task, the pool process had its last batch alone
    # to run meanwhile, and idled: 43-312 ms in all over a 2-worker sweep of 256 variants.
    events: list = []

    def task(index: int) -> tuple[str, int]:
        events.append("this")
        return "this", index

    results = []
    for result in ProcessPool(2)._beside_pool(_Logged(events), task,
                                              iter([(i,) for i in range(40)]), [], ()):
        results.append(result)
        if result[0] == "pool":
            events.append("result")
    assert sorted(index for _, index in results) == list(range(40))
    seen = [k for k, event in enumerate(events) if event == "result"]
    assert seen
    for k in seen:
        after = [event for event in events[k:] if event != "result"]
        if "this" in after:  # the queue had a task left for this process, so one for the pool
            assert after[0] == "submit", events


#: In a fresh process (no fork server yet): a pool prepared with the sweep's warm-up or with
#: none, and what each of its tasks found in its process.
PREPARED_POOL = """
import sys
import pool_faults
from sim.sweeps.executors import ProcessPool
from sim.sweeps.variant import warm_up

pool = ProcessPool(2)
pool.prepare(pool_faults.calibration_read, warm_up if sys.argv[1] == "warm" else None)
print(sorted(set(pool.map_unordered(pool_faults.calibration_read, [(i,) for i in range(8)]))))
"""


@pytest.mark.parametrize("warm", ["warm", "none"])
def test_a_pools_processes_start_with_what_its_warm_up_read(warm) -> None:
    # The pool's first variant read the fiscal table itself (~50 ms), with cold kernels too:
    # the warm-up runs once, in the fork server, and every process forked from it starts so.
    tests = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests.parent), str(tests)])}
    done = subprocess.run([sys.executable, "-c", PREPARED_POOL, warm], env=env,
                          capture_output=True, text=True, check=True)
    found = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert {read for in_pool, read in found if in_pool} == {warm == "warm"}


def _nested_square() -> Any:
    def square(x: int) -> int:
        return x * x
    return square


def _square_of_a_script(x: int) -> int:
    return x * x


_square_of_a_script.__module__ = "__main__"  # as if defined in the script that runs the pool


@pytest.mark.parametrize("function", [lambda x: x, _nested_square(), _square_of_a_script],
                         ids=["lambda", "nested", "main"])
def test_a_function_its_pool_processes_cannot_import_is_refused_in_one_line(function) -> None:
    # Each pool process died unpickling its first task, with a traceback, and the work ended
    # as though task 0 had killed its process twice.
    with pytest.raises(OptionError, match="import by name"):
        list(ProcessPool(2).map_unordered(function, [(i,) for i in range(4)]))
    assert sorted(ProcessPool(1).map_unordered(function, [(i,) for i in range(4)]))  # here: runs


def test_a_function_importable_by_name_runs_on_the_pool_even_through_a_partial() -> None:
    import functools

    results = ProcessPool(2).map_unordered(functools.partial(pool_faults.where, "shared"),
                                           [(i,) for i in range(4)])
    assert sorted(index for index, *_ in results) == [0, 1, 2, 3]
