"""Reproducibility and streaming: the same seed and draws give the same bits, however run."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import sys
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim import montecarlo
from sim.montecarlo import block_generator, block_sizes
from sim.spending.inputs import ModelInputs
from sim.spending.tally import ProbabilityTally, Tally
from sim.sweeps.sweep import _progress as sweep_progress


def _assert_same_tally(a: Tally, b: Tally) -> None:
    for field in attrs.fields(Tally):
        left, right = getattr(a, field.name), getattr(b, field.name)
        assert np.array_equal(left, right), field.name


@pytest.fixture(scope="module")
def analytic():
    return sim.load_scenario("analytic")


def test_block_generator_is_the_spawned_child():
    children = np.random.SeedSequence(5).spawn(4)
    for index, child in enumerate(children):
        ours = block_generator(5, index).standard_normal(3)
        assert np.array_equal(ours, np.random.default_rng(child).standard_normal(3))


@given(draws=st.integers(1, 10_000), block=st.integers(1, 5000))
def test_block_sizes_cover_the_draws(draws, block):
    sizes = block_sizes(draws, block)
    assert sum(sizes) == draws
    assert all(0 < s <= block for s in sizes)
    assert all(s == block for s in sizes[:-1])


@given(blocks_per_task=st.integers(1, 9), seed=st.integers(0, 2**63))
def test_batching_of_blocks_never_changes_results(analytic, blocks_per_task, seed):
    reference = sim.run(analytic, draws=2_345, seed=seed, block_size=256, blocks_per_task=1)
    batched = sim.run(analytic, draws=2_345, seed=seed, block_size=256,
                      blocks_per_task=blocks_per_task)
    _assert_same_tally(reference.tally, batched.tally)


def test_two_workers_give_bit_identical_results():
    baseline = sim.load_scenario("baseline")
    one = sim.run(baseline, draws=9_000, seed=7, block_size=1024, workers=1)
    two = sim.run(baseline, draws=9_000, seed=7, block_size=1024, workers=2, blocks_per_task=2)
    _assert_same_tally(one.tally, two.tally)
    assert one.draws == two.draws == 9_000


def test_two_workers_count_the_probabilities_alone_as_one_does():
    baseline = sim.load_scenario("baseline")
    one = sim.run(baseline, draws=5_000, seed=7, block_size=1024, distributions=False)
    two = sim.run(baseline, draws=5_000, seed=7, block_size=1024, workers=2,
                  distributions=False)
    assert type(one.tally) is type(two.tally) is ProbabilityTally
    _assert_same_tally(one.tally, two.tally)


def test_more_workers_than_blocks_still_count_every_block_once(analytic):
    # Workers claim blocks from a shared counter: one that finds none left ships an empty tally.
    one = sim.run(analytic, draws=1_500, seed=3, block_size=1024, workers=1)
    three = sim.run(analytic, draws=1_500, seed=3, block_size=1024, workers=3)
    _assert_same_tally(one.tally, three.tally)
    assert three.tally.draws == 1_500


def test_pool_progress_counts_every_draw_once(analytic):
    # What the progress bar is fed on a pool: draws counted since the last report, never
    # negative, adding up to the run's draws once the tally holds them all.
    inputs = ModelInputs.from_scenario(analytic)
    tally = Tally.empty(inputs)
    steps = list(montecarlo._count(inputs, 5, 3_000, 512, montecarlo._tasks(6, None), 2,
                                   (None, "vector", ()), (tally, None)))
    assert min(steps) >= 0
    assert sum(steps) == 3_000 == tally.draws


def test_an_error_in_this_process_stops_a_pool_run_with_that_error(analytic, monkeypatch):
    # This process counts blocks beside the pool: when its counting fails, the run raises that
    # error, not a pool error (the pool's processes, started from the fork server, do not see
    # the patch and count normally).
    def fail(*args, **kwargs):
        raise RuntimeError("counting failed")

    monkeypatch.setattr(montecarlo, "simulate_blocks", fail)
    with pytest.raises(RuntimeError, match="counting failed"):
        sim.run(analytic, draws=40_000, seed=1, block_size=512, workers=2)


def test_a_packed_tally_merges_to_the_same_counts(analytic):
    part = sim.run(analytic, draws=3_000, seed=4, block_size=512).tally
    twice_dense, twice_packed = (Tally.empty(sim.run(analytic, draws=1).inputs) for _ in "ab")
    for _ in range(2):
        twice_dense.merge(part)
        twice_packed.merge(part.pack())
    _assert_same_tally(twice_dense, twice_packed)
    assert twice_packed.draws == 6_000
    assert int(twice_packed.core_hist[-1].sum()) == 6_000 * part.core_hist.shape[1]


def test_different_seeds_differ(analytic):
    a = sim.run(analytic, draws=2_000, seed=1)
    b = sim.run(analytic, draws=2_000, seed=2)
    assert not np.array_equal(a.tally.core_hist, b.tally.core_hist)


def test_tally_size_does_not_grow_with_draws(analytic):
    small = sim.run(analytic, draws=100, seed=1, block_size=50)
    large = sim.run(analytic, draws=20_000, seed=1, block_size=50)
    for field in attrs.fields(Tally):
        if field.name != "draws":
            small_array, large_array = getattr(small.tally, field.name), getattr(large.tally,
                                                                                 field.name)
            assert small_array.nbytes == large_array.nbytes
    assert int(large.tally.core_hist[-1].sum()) == 20_000 * len(large.codes)


@pytest.mark.parametrize(("option", "value"), [("draws", 0), ("workers", 0), ("seed", -1),
                                               ("block_size", 0), ("draws", 2.5)])
def test_bad_run_options_raise_option_errors(analytic, option, value):
    with pytest.raises(sim.OptionError, match=option):
        sim.run(analytic, **{option: value})


class _Bar:
    """Stands in for tqdm.auto's bar: records what it was given and fed."""

    def __init__(self, made: list[_Bar], iterable=None, **options) -> None:
        self.iterable, self.options, self.counted, self.closed = iterable, options, 0, False
        made.append(self)

    def update(self, n: int = 1) -> None:
        self.counted += n

    def close(self) -> None:
        self.closed = True

    def __iter__(self):
        for item in self.iterable:
            self.counted += 1
            yield item


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("where", ["terminal", "notebook", "pipe"])
def test_progress_bars_come_from_tqdm_auto_on_a_terminal_or_in_a_notebook(analytic, monkeypatch,
                                                                         where):
    # tqdm.auto draws a widget in Jupyter, where standard error is not a terminal; on a pipe
    # there is no bar at all.
    import tqdm.auto

    made: list[_Bar] = []
    monkeypatch.setattr(tqdm.auto, "tqdm", lambda *args, **options: _Bar(made, *args, **options))
    monkeypatch.setattr(sys, "stderr", _Terminal() if where == "terminal" else io.StringIO())
    if where == "notebook":
        monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    sim.run(analytic, draws=3_000, seed=1, block_size=512, progress=True)
    rows = list(sweep_progress(iter([{"index": 0}, {"index": 1}]), 2, show=True))
    assert len(rows) == 2
    if where == "pipe":
        assert made == []
        return
    run_bar, sweep_bar = made
    assert (run_bar.options["total"], run_bar.counted, run_bar.closed) == (3_000, 3_000, True)
    assert (sweep_bar.options["total"], sweep_bar.counted) == (2, 2)


# --- runs that share their standard normals (a sweep's common random numbers) ----------------


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**63), follow=st.floats(0.05, 0.6))
def test_shared_normals_never_change_a_run(seed, follow):
    # Runs of two parameter sets, one after another on one SharedDraws, over ten blocks: each
    # equals its fresh run, whatever ran on the shared normals before.
    baseline = sim.load_scenario("baseline")
    variant = baseline.with_values({"defaults.commitment.follow": follow})
    shared = montecarlo.SharedDraws()
    for scenario in (baseline, variant, baseline, variant):
        ran = sim.run(scenario, draws=2_345, seed=seed, block_size=256, shared=shared)
        fresh = sim.run(scenario, draws=2_345, seed=seed, block_size=256)
        _assert_same_tally(ran.tally, fresh.tally)


def test_shared_normals_stay_within_their_memory_bound():
    baseline = sim.load_scenario("baseline")
    inputs = ModelInputs.from_scenario(baseline)
    one_block = montecarlo.SharedDraws()
    one_block.normals(inputs, 3, 0, 256)
    bound = 3 * one_block.nbytes
    shared = montecarlo.SharedDraws(max_bytes=bound)
    for _ in range(2):
        ran = sim.run(baseline, draws=2_345, seed=3, block_size=256, shared=shared)
        assert shared.nbytes <= bound
    _assert_same_tally(ran.tally, sim.run(baseline, draws=2_345, seed=3, block_size=256).tally)
    # The same block again is lent, not drawn again.
    first = shared.normals(inputs, 3, 5, 256)
    assert shared.normals(inputs, 3, 5, 256) is first
    assert np.array_equal(first.growth, montecarlo.sample_draws(
        inputs, block_generator(3, 5), 256).growth)


def test_credibilities_are_made_again_only_when_the_terms_they_read_change(monkeypatch):
    # A variant that changes no term commitment's credibilities read (FROM_NORMALS_TERMS) gets
    # the last run's credibilities; one that does gets its own, made into the same arrays; each
    # run's equal to its fresh draws.
    from sim.mechanisms import commitment

    baseline = sim.load_scenario("baseline")
    made = []
    from_normals = commitment.from_normals
    monkeypatch.setattr(commitment, "from_normals",
                        lambda *args: made.append(args) or from_normals(*args))
    shared = montecarlo.SharedDraws()
    kept = None
    for values, makes in (({}, 1), ({"defaults.commitment.follow": 0.2}, 0),
                          ({"defaults.commitment.credibility": 0.7}, 1), ({}, 1), ({}, 0)):
        made.clear()
        inputs = ModelInputs.from_scenario(baseline.with_values(values))
        kappa = shared.draws(inputs, 3, 0, 256, shared.workspace).mechanisms["commitment"].kappa
        assert len(made) == makes, values
        assert kept is None or kappa is kept  # the same memory, run after run
        kept = kappa
        fresh = montecarlo.sample_mechanisms(
            inputs, montecarlo.sample_draws(inputs, block_generator(3, 0), 256),
            lambda stream: montecarlo.mechanism_generator(3, 0, stream))
        assert np.array_equal(kappa, fresh.mechanisms["commitment"].kappa), values


def test_a_run_on_kept_draws_seeds_no_generator_for_them(monkeypatch):
    # Threat events' draws and commitment's normals kept from an earlier run are lent without
    # seeding their streams' generators again (each a SeedSequence and a Generator).
    baseline = sim.load_scenario("baseline")
    inputs = ModelInputs.from_scenario(baseline)
    shared = montecarlo.SharedDraws()
    seeded = []
    generator = montecarlo.mechanism_generator
    monkeypatch.setattr(montecarlo, "mechanism_generator",
                        lambda *args: seeded.append(args) or generator(*args))
    shared.draws(inputs, 3, 0, 256, shared.workspace)
    assert sorted(seeded) == [(3, 0, 2), (3, 0, 3)]
    seeded.clear()
    shared.draws(inputs, 3, 0, 256, shared.workspace)
    assert seeded == []


def test_shared_normals_are_for_one_worker(analytic):
    with pytest.raises(sim.OptionError, match="one worker only, got workers=2"):
        sim.run(analytic, draws=100, workers=2, shared=montecarlo.SharedDraws())


def test_threat_draws_and_commitments_normals_are_shared_credibilities_made_per_run(
        monkeypatch):
    # Threat events' draws depend on their shape only, and so do the normals behind
    # commitment's credibilities: both are drawn once per block; the credibilities are each
    # run's own transform of those normals, equal to its fresh draws.
    from sim.mechanisms import commitment

    baseline = sim.load_scenario("baseline")
    variant = baseline.with_values({"defaults.commitment.credibility": 0.8,
                                    "defaults.commitment.spread": 0.4})
    drawn_normals = []
    normals = commitment.normals
    monkeypatch.setattr(commitment, "normals",
                        lambda *args: drawn_normals.append(args) or normals(*args))
    shared = montecarlo.SharedDraws()
    workspace = shared.workspace
    first = shared.draws(ModelInputs.from_scenario(baseline), 3, 0, 256, workspace)
    for scenario in (baseline, variant):
        inputs = ModelInputs.from_scenario(scenario)
        again = shared.draws(inputs, 3, 0, 256, workspace)
        assert again.mechanisms["threat"] is first.mechanisms["threat"]
        assert again.common is first.common
        fresh = montecarlo.sample_mechanisms(
            inputs, first, lambda stream: montecarlo.mechanism_generator(3, 0, stream))
        for name, drawn in fresh.mechanisms.items():
            for ours, theirs in zip(again.mechanisms[name], drawn, strict=True):
                assert np.array_equal(ours, theirs), name
    # Once for the shared block, then once for each fresh run: never for a shared run.
    assert len(drawn_normals) == 1 + 2


# A pool process killed (SIGKILL) while it holds a shared counter's lock never releases it. The
# calling process must then stop waiting for the lock once the pool has failed, and marking the
# tasks claimed must give up, rather than hang. The dead holder is stood in for by a thread
# that holds the lock until the test ends (the counters' locks are re-entrant: held by this
# thread, they would simply be taken again).

@contextlib.contextmanager
def _held(counter: Any) -> Iterator[None]:
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with counter.get_lock():
            taken.set()
            done.wait(30)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        done.set()
        holder.join(10)


def _counter(value: int = 5) -> Any:
    return multiprocessing.get_context("spawn").Value("q", value)


def test_waiting_for_a_dead_holders_lock_stops_once_the_pool_has_failed():
    counter, failed = _counter(), threading.Event()
    with _held(counter):
        timer = threading.Timer(2 * montecarlo.LOCK_POLL, failed.set)
        start = time.monotonic()
        timer.start()
        try:
            assert not montecarlo._acquire(counter, failed)
        finally:
            timer.cancel()
        waited = time.monotonic() - start
    # It waited until the failure, then gave up within a poll or so of it.
    assert 2 * montecarlo.LOCK_POLL <= waited < 2 * montecarlo.LOCK_POLL + 2.0
    assert montecarlo._acquire(counter, failed)  # free again: taken, failure or not
    counter.get_lock().release()


def test_marking_the_tasks_claimed_gives_up_on_a_dead_holders_lock():
    counter = _counter()
    with _held(counter):
        montecarlo._stop_claims(counter, 10)
        # not marked: the lock was never free (read past it: .value would wait for it)
        assert counter.get_obj().value == 5
    montecarlo._stop_claims(counter, 10)
    assert counter.value == 10
