"""Running a sweep: each variant a full Monte Carlo run, streamed to a journal, into one table.

A sweep (:class:`~sim.sweeps.spec.SweepSpec`) runs its variants on an executor
(:mod:`sim.sweeps.executors`) with common random numbers: every variant is run with the sweep's
own seed, so block ``b`` of every variant draws the same standard normals (GDP growth, execution
noise) and the differences between variants are differences of the model, not of the noise. A
worker keeps each block's normals (:class:`~sim.montecarlo.SharedDraws`), the threat events'
draws and the normals behind commitment's credibilities, which depend on their shape only, and
lends them to every variant it runs, so a sweep draws them once per block and worker rather than
once per variant; each variant makes its own credibilities of those normals. Aid's draws depend
on the variant's parameters (a donor's reliability or delivered share): each variant draws them
itself from the same streams, so they are common where those parameters are equal. Every
variant's numbers are exactly those of its own run, with nothing of one variant's parameters in
another's.

A variant whose allies, years or aid layout (pledges, needs, pools) differ from the base
scenario's (:func:`~sim.sweeps.variant.draw_layout`) would read the same streams in another
shape, which shares nothing meaningful: it runs on a stream of its own,
:func:`~sim.sweeps.designs.variant_seed`, as every variant does with ``independent = true`` in
the sweep file. Either way a variant's row depends only on the sweep file and its index,
whatever the worker count, the executor or the order variants finish in.

Rows stream to ``DIR/journal.jsonl`` as variants finish, one flushed line each, so a killed
process loses only the variants in flight; the journal is also synced to disk at most once every
``SYNC_SECONDS`` and at the end, so a machine crash loses at most that much more (a sync per row
cost about a third of a 2,000-draw variant's time). A line cut short by a crash is ignored on
reading. Every row carries the sweep's digest (:func:`~sim.sweeps.record.inputs_digest`), and
``--resume`` runs only the indices the journal lacks once every row is checked against the
manifest and the design (:func:`read_journal`). The tables
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import OptionError, ResultsError
from sim.files import (
    JOURNAL,
    MANIFEST,
    SUMMARY_NAME,
    atomic_write_bytes,
    atomic_write_text,
    csv_text,
    hold_folder,
    read_json,
)
from sim.montecarlo import progress_bar
from sim.sweeps.executors import executor as executor_named
from sim.sweeps.record import inputs_digest, sweep_inputs, write_manifest
from sim.sweeps.spec import SweepSpec
from sim.sweeps.variant import forget_shared_draws, lost_variant, run_variant, warm_up

LOG = "sweep.log"

#: Longest time, in seconds, finished rows may sit in the journal unsynced to disk.
SYNC_SECONDS = 1.0



def read_journal(out: Path, spec: SweepSpec, digest: str | None = None) -> list[dict[str, Any]]:
    """The complete rows of ``out``'s journal, each checked against ``spec``: the sweep's
    ``digest`` (:func:`~sim.sweeps.record.inputs_digest`, by default of today's inputs), an
    index of the design, the design's values at that index, a status and, for a finished
    variant, every probability of the table a number from 0 to 1. A last line cut short by a
    crash is left out; any other line that is not such a row is a ResultsError naming the
    journal and the line, and the journal is left as it is.
    """
    path = out / JOURNAL
    if not path.is_file():
        return []
    digest = inputs_digest(sweep_inputs(spec)) if digest is None else digest
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as err:
        raise ResultsError(path, None, f"cannot be read: {err.strerror}") from None
    # After the last newline: empty, or a line a crash cut short (never a whole row, which is
    # written with its newline).
    lines.pop()
    variants = spec.variants()
    metrics = spec.columns()[spec.columns().index("error") + 1:]
    rows = []
    for number, line in enumerate(lines, 1):
        def fail(problem: str, n: int = number) -> ResultsError:
            return ResultsError(path, f"line {n}", f"{problem}; the journal is not this "
                                "sweep's: run the sweep into a new folder")

        try:
            row = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            raise fail("not UTF-8 text") from None
        except json.JSONDecodeError as err:
            raise fail(f"not a JSON row ({err.msg})") from None
        if not isinstance(row, dict):
            raise fail(f"must be a JSON object, got {type(row).__name__}")
        if row.get("digest") != digest:
            raise fail("written by another sweep (or before its inputs changed): its digest "
                       "differs from the manifest's")
        index = row.get("index")
        if isinstance(index, bool) or not isinstance(index, int) \
                or not 0 <= index < len(variants):
            raise fail(f"index must be a whole number from 0 to {len(variants) - 1}, got "
                       f"{index!r}")
        for key, value in variants[index].items():
            if (key not in row or row[key] != value
                    or isinstance(row[key], bool) is not isinstance(value, bool)):
                raise fail(f"{key} is {row.get(key)!r}, but variant {index} has {value!r}")
        status = row.get("status")
        if status not in ("ok", "failed") or not isinstance(row.get("error"), str):
            raise fail(f"status must be ok or failed with an error text, got {status!r}")
        for name in metrics if status == "ok" else ():
            value = row.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not 0 <= value <= 1:
                raise fail(f"{name} must be a probability from 0 to 1, got {value!r}")
        rows.append(row)
    return rows


def sweep(spec: SweepSpec | str | Path, *, out: str | Path, workers: int = 1,
          resume: bool = False, progress: bool = False, executor: str = "processes",
          scheduler: str | None = None) -> pd.DataFrame:
    """Run a sweep into folder ``out`` and return its results table, one row per variant.

    ``resume`` continues a sweep in ``out`` with the same sweep file, running only the
    variants its journal lacks; the final table equals an uninterrupted run's. ``executor``
    ``"dask"`` runs the variants on the Dask scheduler at ``scheduler`` (``tcp://host:port``), or
    on a local cluster of ``workers`` processes when no address is given; the table is the same.
    The folder's lock (:func:`sim.files.hold_folder`) is held throughout: a second sweep or
    resume into ``out`` meanwhile is refused.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise OptionError(f"workers: must be a positive whole number, got {workers!r}")
    runner = executor_named(executor, workers, scheduler)
    # A pool's fork server starts while the file is read and the design made.
    runner.prepare(run_variant, warm_up)
    if not isinstance(spec, SweepSpec):
        spec = SweepSpec.from_file(spec)
    out = Path(out)
    inputs = sweep_inputs(spec)
    digest = inputs_digest(inputs)
    with hold_folder(out, "--resume" if resume else "--out"):
        done = _prepare(spec, out, resume, inputs)  # index -> row, those run before
        variants = spec.variants()
        todo = [i for i in range(len(variants)) if i not in done]
        with (open(out / JOURNAL, "a", encoding="utf-8") as journal,
              open(out / LOG, "a", encoding="utf-8") as log):
            log.write(f"{_now()} start host={socket.gethostname()} workers={workers} "
                      f"variants={len(variants)} done={len(done)} todo={len(todo)} "
                      f"random_numbers={'independent' if spec.independent else 'common'}\n")
            started = time.monotonic()
            # One variant a task, each run on one core: the parallelism is across variants.
            rows = runner.map_unordered(run_variant, ((i, variants[i], spec.draws, spec.seed,
                                                       spec.independent, digest)
                                                      for i in todo),
                                         lost=lost_variant, shared=(spec.base,))
            log.write(f"{_now()} {runner.describe()}\n")
            synced = time.monotonic()
            try:
                for row in _progress(rows, len(todo), progress):
                    done[row["index"]] = row
                    journal.write(json.dumps({**row, "digest": digest}, sort_keys=True) + "\n")
                    journal.flush()
                    if time.monotonic() - synced >= SYNC_SECONDS:
                        os.fsync(journal.fileno())
                        synced = time.monotonic()
                    log.write(f"{_now()} variant {row['index']} {row['status']}\n")
            finally:
                # Variants ran here too (all of them on one worker): their shared normals go
                # with the sweep.
                forget_shared_draws()
            os.fsync(journal.fileno())
            log.write(f"{_now()} finished {len(todo)} variants in "
                      f"{time.monotonic() - started:.1f} s\n")
        # From the rows in hand, the journal's own: reading the journal back cost more than
        # half of a 256-variant table's ~115 ms, time that two workers cannot share.
        return write_tables(spec, out, digest, done)


def write_tables(spec: SweepSpec, out: Path, digest: str | None = None,
                 rows: dict[int, dict[str, Any]] | None = None) -> pd.DataFrame:
    """Write ``results.csv`` and ``results.parquet``, sorted by index, from ``rows`` (index ->
    row) or else from the journal."""
    if rows is None:
        rows = {row["index"]: row for row in read_journal(out, spec, digest)}
    table = pd.DataFrame([rows[i] for i in sorted(rows)], columns=spec.columns())
    table["error"] = table["error"].fillna("")
    atomic_write_text(out / "results.csv", csv_text(table))
    # In memory first (a few hundred kB for thousands of variants), then written as every
    # file is, so the table gets the same mode as the others.
    atomic_write_bytes(out / "results.parquet", table.to_parquet(index=False))
    return table


def _prepare(spec: SweepSpec, out: Path, resume: bool, inputs: dict[str, str]
             ) -> dict[int, dict[str, Any]]:
    """Check ``out`` against the sweep; return the rows already done, by index."""
    manifest = out / MANIFEST
    if resume:
        if not manifest.is_file():
            raise OptionError(f"--resume: {out} holds no sweep to resume")
        recorded = read_json(manifest)
        _check_inputs(out, recorded, inputs)
        rows = read_journal(out, spec, inputs_digest(inputs))
        # Rewrite the journal without a cut-off last line, so new lines start on a fresh line.
        atomic_write_text(out / JOURNAL, "".join(json.dumps(r, sort_keys=True) + "\n"
                                                 for r in rows))
        return {row["index"]: row for row in rows}
    if manifest.exists() or (out / JOURNAL).exists():
        raise OptionError(f"--out: {out} already holds a sweep; pass --resume or another folder")
    if (out / SUMMARY_NAME).exists():
        raise OptionError(f"--out: {out} holds a run ({SUMMARY_NAME}); write the sweep into a "
                          "folder of its own")
    write_manifest(spec, out, inputs)
    return {}


def _check_inputs(out: Path, recorded: dict[str, Any], inputs: dict[str, str]) -> None:
    """Refuse to resume a sweep whose inputs differ from those its manifest records, naming the
    first that changed: rows of two calibrations (or versions) must not meet in one table."""
    before = recorded.get("inputs")
    start = f"--resume: {out / MANIFEST}"
    if not isinstance(before, dict) or recorded.get("digest") != inputs_digest(before):
        raise OptionError(f"{start}: records no digest of this sweep's inputs (an older "
                          "summit-sim, or edited); run the sweep again into a new folder")
    if before.get("sweep") != inputs["sweep"]:
        raise OptionError(f"{start}: holds another sweep (or the sweep file or its base "
                          "scenario changed since); run it into a new folder")
    if before.get("version") != inputs["version"]:
        raise OptionError(f"{start}: was started by summit-sim {before.get('version')}, this "
                          f"is {inputs['version']}; run the sweep again into a new folder")
    for name in sorted({*before, *inputs} - {"sweep", "version"}):
        if before.get(name) != inputs.get(name):
            change = ("is new" if name not in before else "is gone" if name not in inputs
                      else "changed")
            raise OptionError(f"{start}: calibration/{name} {change} since the sweep started; "
                              "its rows would mix two calibrations: run the sweep again into "
                              "a new folder")


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
