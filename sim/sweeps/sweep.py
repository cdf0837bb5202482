"""Running a sweep: each variant a full Monte Carlo run, streamed to a journal, into one table.

A sweep (:class:`~sim.sweeps.spec.SweepSpec`) runs variant ``i`` with a seed that depends only
on the sweep seed and ``i`` (:func:`~sim.sweeps.designs.variant_seed`), on an executor
(:mod:`sim.sweeps.executors`), so a variant's row is the same whatever the worker count or the
order variants finish in.

Rows stream to ``DIR/journal.jsonl`` as variants finish, one flushed line each, so a killed
process loses only the variants in flight; the journal is also synced to disk at most once every
``SYNC_SECONDS`` and at the end, so a machine crash loses at most that much more (a sync per row
cost about a third of a 2,000-draw variant's time). A line cut short by a crash is ignored on
reading. ``--resume`` runs only the indices the journal lacks. The tables
``results.csv`` and ``results.parquet`` are written from the journal, sorted by index, through a
temporary file and a rename, so they hold only what the sweep determines; timings and the host go
to ``DIR/sweep.log``. ``DIR/manifest.json``, written at the start, records the design
(:mod:`sim.sweeps.record`).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import OptionError, SimError
from sim.files import (
    JOURNAL,
    MANIFEST,
    SUMMARY_NAME,
    atomic_write_bytes,
    atomic_write_text,
    csv_text,
    read_json,
)
from sim.montecarlo import progress_bar, run
from sim.scenario import Scenario
from sim.sweeps.designs import variant_seed
from sim.sweeps.executors import executor as executor_named
from sim.sweeps.record import write_manifest
from sim.sweeps.spec import SweepSpec

LOG = "sweep.log"

#: Longest time, in seconds, finished rows may sit in the journal unsynced to disk.
SYNC_SECONDS = 1.0



def run_variant(base: Scenario, index: int, values: Mapping[str, Any], draws: int,
                seed: int) -> dict[str, Any]:
    """Run one variant and return its row; a bad combination of values is a ``failed`` row."""
    row: dict[str, Any] = {"index": index, **values}
    try:
        results = run(base.with_values(values), draws=draws, seed=variant_seed(seed, index))
    except SimError as err:
        problem = str(err).removeprefix(f"{getattr(err, 'file', '')}: ")
        return {**row, "status": "failed", "error": " ".join(problem.split())}
    row.update(status="ok", error="")
    probabilities = {**results.headline(),
                     **{f"p_meet_goal_{code}": results.p_meet_goal(code)
                        for code in results.codes}}
    tally, aid = results.aid_tally, results.scenario.aid
    if tally is not None and aid is not None:
        probabilities.update({f"ukraine_needs_met_{year}": tally.p_needs_met(y)
                              for y, year in enumerate(aid.years)})
    for name, prob in probabilities.items():
        row[name], row[f"{name}_lo"], row[f"{name}_hi"] = prob.p, *prob.ci95
    return row


def read_journal(out: Path) -> list[dict[str, Any]]:
    """The complete rows of ``out``'s journal; a line cut short by a crash is left out."""
    path = out / JOURNAL
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def sweep(spec: SweepSpec | str | Path, *, out: str | Path, workers: int = 1,
          resume: bool = False, progress: bool = False, executor: str = "processes",
          scheduler: str | None = None) -> pd.DataFrame:
    """Run a sweep into folder ``out`` and return its results table, one row per variant.

    ``resume`` continues a sweep in ``out`` with the same sweep file, running only the
    variants its journal lacks; the final table equals an uninterrupted run's. ``executor``
    ``"dask"`` runs the variants on the Dask scheduler at ``scheduler`` (``tcp://host:port``), or
    on a local cluster of ``workers`` processes when no address is given; the table is the same.
    """
    if not isinstance(spec, SweepSpec):
        spec = SweepSpec.from_file(spec)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise OptionError(f"workers: must be a positive whole number, got {workers!r}")
    runner = executor_named(executor, workers, scheduler)
    out = Path(out)
    done = _prepare(spec, out, resume)
    variants = spec.variants()
    todo = [i for i in range(len(variants)) if i not in done]
    with (open(out / JOURNAL, "a", encoding="utf-8") as journal,
          open(out / LOG, "a", encoding="utf-8") as log):
        log.write(f"{_now()} start host={socket.gethostname()} workers={workers} "
                  f"variants={len(variants)} done={len(done)} todo={len(todo)}\n")
        started = time.monotonic()
        # One variant a task, each run on one core: the parallelism is across variants.
        rows = runner.map_unordered(run_variant, ((spec.base, i, variants[i], spec.draws,
                                                   spec.seed) for i in todo))
        log.write(f"{_now()} {runner.describe()}\n")
        synced = time.monotonic()
        for row in _progress(rows, len(todo), progress):
            journal.write(json.dumps(row, sort_keys=True) + "\n")
            journal.flush()
            if time.monotonic() - synced >= SYNC_SECONDS:
                os.fsync(journal.fileno())
                synced = time.monotonic()
            log.write(f"{_now()} variant {row['index']} {row['status']}\n")
        os.fsync(journal.fileno())
        log.write(f"{_now()} finished {len(todo)} variants in "
                  f"{time.monotonic() - started:.1f} s\n")
    return write_tables(spec, out)


def write_tables(spec: SweepSpec, out: Path) -> pd.DataFrame:
    """Write ``results.csv`` and ``results.parquet`` from the journal, sorted by index."""
    rows = {row["index"]: row for row in read_journal(out)}
    table = pd.DataFrame([rows[i] for i in sorted(rows)], columns=spec.columns())
    table["error"] = table["error"].fillna("")
    atomic_write_text(out / "results.csv", csv_text(table))
    # In memory first (a few hundred kB for thousands of variants), then written as every
    # file is, so the table gets the same mode as the others.
    atomic_write_bytes(out / "results.parquet", table.to_parquet(index=False))
    return table


def _prepare(spec: SweepSpec, out: Path, resume: bool) -> set[int]:
    """Check ``out`` against the sweep; return the indices already done."""
    manifest = out / MANIFEST
    if resume:
        if not manifest.is_file():
            raise OptionError(f"--resume: {out} holds no sweep to resume")
        recorded = read_json(manifest).get("digest")
        if recorded != spec.digest:
            raise OptionError(f"--resume: {out} holds another sweep (or the sweep file or its "
                              "base scenario changed since)")
        rows = read_journal(out)
        # Rewrite the journal without a cut-off last line, so new lines start on a fresh line.
        atomic_write_text(out / JOURNAL, "".join(json.dumps(r, sort_keys=True) + "\n"
                                                 for r in rows))
        return {row["index"] for row in rows}
    if manifest.exists() or (out / JOURNAL).exists():
        raise OptionError(f"--out: {out} already holds a sweep; pass --resume or another folder")
    if (out / SUMMARY_NAME).exists():
        raise OptionError(f"--out: {out} holds a run ({SUMMARY_NAME}); write the sweep into a "
                          "folder of its own")
    write_manifest(spec, out)
    return set()


def _progress(rows: Iterator[dict[str, Any]], total: int, show: bool
              ) -> Iterator[dict[str, Any]]:
    """A bar with rate and ETA on a terminal or in a notebook; a plain line every 10 s
    otherwise."""
    if not show:
        yield from rows
        return
    bar = progress_bar(total, "variant", iterable=rows)
    if bar is not None:
        yield from bar
        return
    started = last = time.monotonic()
    for count, row in enumerate(rows, 1):
        yield row
        now = time.monotonic()
        if now - last >= 10 or count == total:
            rate = count / max(now - started, 1e-9)
            print(f"sweep: {count}/{total} variants, {rate:.2f}/s, "
                  f"about {(total - count) / rate:.0f} s left", file=sys.stderr, flush=True)
            last = now


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
