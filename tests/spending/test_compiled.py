"""The kernels built ahead of time against Numba's, bit for bit; a run that never loads Numba."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import numpy as np
import pytest

import sim
from sim.spending import compiled

ROOT = Path(__file__).resolve().parents[2]


def _tally_arrays(results) -> dict[str, np.ndarray]:
    tally = results.tally
    return {f.name: np.array(getattr(tally, f.name)) for f in attrs.fields(type(tally))
            if isinstance(getattr(tally, f.name), np.ndarray)}


def _run_with(kind: str, monkeypatch, name: str, seed: int) -> dict[str, np.ndarray]:
    with monkeypatch.context() as patch:
        patch.setitem(compiled._loaded, "auto", compiled.kernels(kind))
        return _tally_arrays(sim.run(sim.load_scenario(name), draws=3000, seed=seed))


@pytest.mark.parametrize("name", ["baseline", "analytic", "udcg-2026", "announced"])
def test_the_extension_counts_what_numbas_kernels_count_bit_for_bit(name, monkeypatch):
    # Threat events on (baseline) and off (analytic), aid, and announced paths; 3,000 draws end
    # in a partial chunk of draws.
    ahead = _run_with("ahead", monkeypatch, name, seed=11)
    jit = _run_with("jit", monkeypatch, name, seed=11)
    assert ahead.keys() == jit.keys() and ahead
    for key in ahead:
        assert np.array_equal(ahead[key], jit[key]), key


def test_the_extension_has_no_fused_multiply_add():
    compiled.kernels("ahead")
    # Building the extension needs binutils' linker, and objdump comes with it.
    objdump = shutil.which("objdump")
    assert objdump is not None, "binutils' objdump is missing beside the linker that built it"
    path = next(compiled.cache_dir().glob(f"{compiled.module_name()}*"))
    listing = subprocess.run([objdump, "-d", str(path)], capture_output=True, text=True,
                             check=True).stdout
    assert "simulate_block" in listing or len(listing) > 10_000  # the code is there
    assert not re.search(r"\bv?f(n)?m(add|sub)\d", listing)


def test_a_run_with_the_extension_built_never_imports_numba():
    compiled.kernels("ahead")  # built (or found) in this checkout's cache
    code = ("import sys, sim; sim.run(sim.load_scenario('baseline'), draws=500, seed=1); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'llvmlite')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_where_the_extension_cannot_be_built_numbas_kernels_serve(monkeypatch, tmp_path):
    def cannot(*_args):
        raise compiled.BuildError("no C compiler here")

    monkeypatch.setattr(compiled, "module_name", lambda: "summit_kernels_never_built")
    monkeypatch.setattr(compiled, "_build", cannot)
    monkeypatch.setattr(compiled, "_loaded", {})
    assert compiled.kernels().__name__ == "sim.spending.kernels"
    assert compiled.preload() == ["sim.spending.compiled", "sim.spending.kernels"]
    with pytest.raises(compiled.BuildError, match="no C compiler here"):
        compiled.kernels("ahead")


def test_the_extensions_name_changes_with_the_kernels_source(monkeypatch, tmp_path):
    before = compiled.module_name()
    source = tmp_path / "kernels.py"
    source.write_bytes(compiled._SOURCE.read_bytes() + b"\n# one more line\n")
    monkeypatch.setattr(compiled, "_SOURCE", source)
    after = compiled.module_name()
    assert re.fullmatch(r"summit_kernels_[0-9a-f]{16}", after) and after != before


def test_a_new_build_leaves_the_newest_builds_and_removes_the_rest(tmp_path):
    suffix = ".cpython-311-x86_64-linux-gnu.so"
    olds = [tmp_path / f"summit_kernels_{k:016x}{suffix}" for k in range(6)]
    for age, old in enumerate(olds):
        old.write_bytes(b"old")
        os.utime(old, (1_000_000 + age, 1_000_000 + age))  # olds[5] the newest
    built = tmp_path / f"summit_kernels_{'f' * 16}{suffix}"
    built.write_bytes(b"new")
    os.utime(built, (900_000, 900_000))  # kept whatever its time
    other = tmp_path / "kernels.cpython-311.pyc"
    other.write_bytes(b"not an extension")
    compiled.prune(tmp_path, built)
    kept = {path.name for path in tmp_path.iterdir()}
    newest = olds[-(compiled.KEPT_BUILDS - 1):]
    assert kept == {built.name, other.name, *(old.name for old in newest)}
    assert len(kept) == compiled.KEPT_BUILDS + 1
