"""A sweep folder's record of its design: ``manifest.json``, written first and read back.

``DIR/manifest.json``, written when a sweep starts, records the design (base scenario, design,
samples, seed, draws, each parameter's key and range, values or distribution) and the sweep's
digest, so that ``--resume`` refuses another sweep's folder and a report needs only the folder
(:class:`SweepRecord` reads it back, checking it as a sweep file is checked).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from sim.errors import ResultsError
from sim.files import MANIFEST, atomic_write_text, read_json
from sim.sweeps.designs import DESIGNS, design_size
from sim.sweeps.spec import Parameter, SweepSpec, parameter_from, whole_number

#: Version of manifest.json's layout; a folder without it predates the recorded design.
MANIFEST_FORMAT = 1


def manifest(spec: SweepSpec) -> dict[str, Any]:
    """What ``manifest.json`` records: the design, enough to report without the sweep file."""
    return {"format": MANIFEST_FORMAT, "sweep": spec.file, "digest": spec.digest,
            "base": spec.base.name, "base_sha256": spec.base.sha256, "design": spec.design,
            "samples": spec.samples, "variants": spec.size,
            "seed": spec.seed, "draws": spec.draws,
            "parameters": [p.record() for p in spec.parameters]}


def write_manifest(spec: SweepSpec, folder: Path) -> None:
    """Write ``folder/manifest.json`` for ``spec``, whole or not at all."""
    atomic_write_text(folder / MANIFEST, json.dumps(manifest(spec), indent=2) + "\n")


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
        raw = doc.get("parameters")
        if not isinstance(raw, list) or not raw:
            raise fail("parameters", "must be a non-empty list of parameter records")
        parameters = tuple(parameter_from(table, f"parameters.{n}", design, fail)
                           for n, table in enumerate(raw))
        if numbers["variants"] != design_size(design, numbers["samples"], len(parameters)):
            raise fail("variants", f"does not match a {design} design of {numbers['samples']} "
                       f"samples and {len(parameters)} parameters")
        return cls(folder=Path(folder), base=base, design=design, parameters=parameters,
                   **numbers)

