"""A sweep folder's record of its design: ``manifest.json``, written first and read back.

``DIR/manifest.json``, written when a sweep starts, records the design (base scenario, design,
samples, seed, draws, whether the variants share their random numbers, each parameter's key and
range, values or distribution) and the sweep's
digest, so that ``--resume`` refuses another sweep's folder and a report needs only the folder
(:class:`SweepRecord` reads it back, checking it as a sweep file is checked).

The digest covers everything a variant's row depends on (:func:`sweep_inputs`): the sweep and
its base scenario's chain as read (the sweep file's digest), the calibration's parameter file
and data files, byte for byte, and the package version; the manifest records each part's
digest, so that a refused resume says which one changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import attrs

from sim import __version__
from sim.errors import ResultsError
from sim.files import MANIFEST, atomic_write_text, read_json
from sim.resources import calibration_dir
from sim.sweeps.designs import DESIGNS, design_size
from sim.sweeps.spec import Parameter, SweepSpec, parameter_from, whole_number

#: Version of manifest.json's layout; a folder without it predates the recorded design.
MANIFEST_FORMAT = 1


def sweep_inputs(spec: SweepSpec) -> dict[str, str]:
    """The digest of each input of ``spec``'s rows: ``sweep`` (the sweep file and its base
    scenario's chain, :attr:`SweepSpec.digest`), ``version`` (the package's), and a sha256 of
    each calibration file by its path under the calibration folder (``parameters.toml``,
    ``data/gdp_current_usd.csv``, ...)."""
    folder = calibration_dir()
    files = sorted(path for path in folder.rglob("*") if path.is_file()
                   and not any(part.startswith(".") for part in path.relative_to(folder).parts))
    return {"sweep": spec.digest, "version": __version__,
            **{path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
               for path in files}}


def inputs_digest(inputs: dict[str, str]) -> str:
    """One digest of :func:`sweep_inputs`: the sweep's, recorded in the manifest and on every
    journal row."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def manifest(spec: SweepSpec, inputs: dict[str, str] | None = None) -> dict[str, Any]:
    """What ``manifest.json`` records: the design, enough to report without the sweep file, and
    the digests of the sweep's inputs (``inputs``, :func:`sweep_inputs` by default)."""
    inputs = sweep_inputs(spec) if inputs is None else inputs
    return {"format": MANIFEST_FORMAT, "sweep": spec.file, "digest": inputs_digest(inputs),
            "inputs": inputs,
            "base": spec.base.name, "base_sha256": spec.base.sha256, "design": spec.design,
            "samples": spec.samples, "variants": spec.size,
            "seed": spec.seed, "draws": spec.draws, "independent": spec.independent,
            "parameters": [p.record() for p in spec.parameters]}


def write_manifest(spec: SweepSpec, folder: Path, inputs: dict[str, str] | None = None) -> None:
    """Write ``folder/manifest.json`` for ``spec``, whole or not at all."""
    atomic_write_text(folder / MANIFEST, json.dumps(manifest(spec, inputs), indent=2) + "\n")


@attrs.frozen
class SweepRecord:
    """A finished or running sweep's design, read back from its folder's ``manifest.json``."""

    folder: Path
    base: str  # the base scenario's name
    design: str
    samples: int
    seed: int
    draws: int
    variants: int
    parameters: tuple[Parameter, ...]
    #: Each variant on random numbers of its own; false: common random numbers.
    independent: bool = False

    @classmethod
    def from_folder(cls, folder: str | Path) -> SweepRecord:
        """Read ``folder/manifest.json``; a missing or malformed one is a ResultsError."""
        path = Path(folder) / MANIFEST
        doc = read_json(path, missing="missing: not a sweep folder (summit sweep writes one)")

        def fail(key: str | None, problem: str) -> ResultsError:
            return ResultsError(path, key, problem)

        if "format" not in doc:
            raise fail("format", "missing: the folder predates recorded designs (and Saltelli "
                       "Sobol designs); run the sweep again into a new folder")
        if doc["format"] != MANIFEST_FORMAT:
            raise fail("format", f"must be {MANIFEST_FORMAT}, got {doc['format']!r}")
        design = doc.get("design")
        if design not in DESIGNS:
            raise fail("design", f"must be one of {', '.join(DESIGNS)}, got {design!r}")
        base = doc.get("base")
        if not isinstance(base, str):
            raise fail("base", f"must be the base scenario's name, got {base!r}")
        numbers = {key: whole_number(doc.get(key), key, lowest, fail)
                   for key, lowest in (("samples", 1), ("seed", 0), ("draws", 1),
                                       ("variants", 1))}
        # A manifest from before common random numbers ran every variant on its own numbers.
        independent = doc.get("independent", True)
        if not isinstance(independent, bool):
            raise fail("independent", f"must be true or false, got {independent!r}")
        raw = doc.get("parameters")
        if not isinstance(raw, list) or not raw:
            raise fail("parameters", "must be a non-empty list of parameter records")
        parameters = tuple(parameter_from(table, f"parameters.{n}", design, fail)
                           for n, table in enumerate(raw))
        if numbers["variants"] != design_size(design, numbers["samples"], len(parameters)):
            raise fail("variants", f"does not match a {design} design of {numbers['samples']} "
                       f"samples and {len(parameters)} parameters")
        return cls(folder=Path(folder), base=base, design=design, parameters=parameters,
                   independent=independent, **numbers)

