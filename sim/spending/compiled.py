"""The kernels as an extension module built ahead of time, so that simulating never loads Numba.

:mod:`sim.spending.kernels` is the kernels' source, compiled by Numba when it is imported. Loading
Numba and its compiler costs about half a second of CPU in every process that simulates: more
than the whole engine spends on a 20,000-draw run. So the kernels are also compiled once, with
Numba's ahead-of-time compiler (``numba.pycc``), into an extension module kept in a cache of this
machine's; a process that finds it there imports it in milliseconds and never imports Numba.

It is the same source compiled by the same compiler with the same options — no ``fastmath``, so
every operation is rounded as NumPy rounds it and none is fused into a multiply-add — for this
machine's processor, as the Numba-compiled kernels are; results are bit-identical
(``tests/spending/test_compiled.py``). The module's name carries a digest of what it was built
from (the kernels' source and what is compiled into them: their records and the mechanisms'
steps; Numba's and Python's versions; the processor), so a change in any of them builds a new
one. Where it cannot be built (no C compiler, or a Numba without ``pycc``),
the Numba-compiled kernels serve, with the same results.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import platform
import sys
import tempfile
import warnings
from pathlib import Path
from types import ModuleType
from typing import Literal

#: The kernels the engine and the tally call, by name.
EXPORTS = ("simulate_block", "count_year", "shortfalls", "count_gaps", "count_alliance")
_SOURCE = Path(__file__).with_name("kernels.py")
#: Their records' types, compiled into them too (as are the mechanisms' steps: see module_name).
_RECORDS = Path(__file__).with_name("records.py")

Kind = Literal["auto", "ahead", "jit"]
_loaded: dict[str, ModuleType] = {}


def kernels(kind: Kind = "auto") -> ModuleType:
    """The module whose :data:`EXPORTS` run the model.

    ``"ahead"``: the extension built ahead of time (built now, once, if this machine's cache
    lacks it: about ten seconds); ``"jit"``: :mod:`sim.spending.kernels`, compiled by Numba;
    ``"auto"``: the first if it can be had, else the second.
    """
    if kind not in _loaded:
        if kind == "jit":
            from sim.spending import kernels as jit

            _loaded[kind] = jit
        elif kind == "ahead":
            _loaded[kind] = _ahead_of_time()
        else:
            try:
                _loaded[kind] = kernels("ahead")
            except BuildError:
                _loaded[kind] = kernels("jit")
    return _loaded[kind]


def preload() -> list[str]:
    """The modules a pool's fork server imports so that its processes start with the kernels
    ready: Numba's module when it is the one in use (the extension loads in milliseconds)."""
    return [__name__] + (["sim.spending.kernels"] if kernels().__name__ == "sim.spending.kernels"
                         else [])


class BuildError(RuntimeError):
    """The extension could not be built here; the Numba-compiled kernels serve instead."""


def module_name() -> str:
    """The extension's module name: ``summit_kernels_`` and a digest of what it is built from."""
    from sim.mechanisms import MECHANISM_MODULES  # their compiled steps; no Numba there

    digest = hashlib.sha256()
    sources = [_SOURCE, _RECORDS,
               *(Path(str(sys.modules[name].__file__)) for name in MECHANISM_MODULES)]
    for part in (*(source.read_bytes() for source in sources),
                 importlib.metadata.version("numba").encode(),
                 sys.version.encode(), platform.machine().encode(), _processor().encode()):
        digest.update(hashlib.sha256(part).digest())
    return f"summit_kernels_{digest.hexdigest()[:16]}"


def cache_dir() -> Path:
    """Where the extension is kept: beside the kernels, or the user's cache if that is read-only."""
    beside = _SOURCE.parent / "__pycache__"
    try:
        beside.mkdir(exist_ok=True)
    except OSError:
        pass
    if os.access(beside, os.W_OK):
        return beside
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = home / "summit-sim"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _processor() -> str:
    """What identifies this machine's processor for the compiler: its model and feature flags."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor()
    first = text.split("\n\n", 1)[0]
    wanted = ("vendor_id", "model name", "flags")
    return "\n".join(line for line in first.splitlines() if line.split(":")[0].strip() in wanted)


def _ahead_of_time() -> ModuleType:
    name = module_name()
    folder = cache_dir()
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    path = folder / f"{name}{suffix}"
    if not path.is_file():
        _build(name, folder, path)
        prune(folder, path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BuildError(f"{path}: not an extension module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Extensions a cache keeps: the one built last and the most recently built others (another
#: checkout or version sharing the user's cache, or this one's code before an edit).
KEPT_BUILDS = 4


def prune(folder: Path, built: Path) -> None:
    """Remove the extensions in ``folder`` but ``built`` and the newest others, to
    :data:`KEPT_BUILDS` in all: each edit of the kernels or the mechanisms, and each new Numba,
    builds one (~1.5 MB) and nothing removed the old ones. A process that has one loaded keeps
    it: the file goes, its mapping stays."""
    others = []
    for found in folder.glob("summit_kernels_*"):
        try:
            if found != built and found.is_file():
                others.append((found.stat().st_mtime, found))
        except OSError:
            pass  # another process building at once removed it
    for _, old in sorted(others, reverse=True)[KEPT_BUILDS - 1:]:
        try:
            old.unlink()
        except OSError:
            pass  # another process removed it, or it is not ours to remove: leave it


def _build(name: str, folder: Path, path: Path) -> None:
    """Compile the kernels into ``path``, through a temporary folder and an atomic rename, so that
    processes building at once each leave a whole file and none sees half of one."""
    try:
        with warnings.catch_warnings():
            # pycc is "pending deprecation" with no replacement yet; the locked Numba has it.
            warnings.simplefilter("ignore")
            from numba.pycc import CC
    except ImportError as err:
        raise BuildError(f"this Numba has no ahead-of-time compiler: {err}") from None
    from sim.spending import kernels as jit

    compiler = CC(name)
    compiler.target_cpu = "host"  # the processor the Numba-compiled kernels target too
    compiler.verbose = False
    for export in EXPORTS:
        dispatcher = getattr(jit, export)
        compiler.export(export, dispatcher.nopython_signatures[0])(dispatcher.py_func)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as scratch:
        compiler.output_dir = scratch
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compiler.compile()
        except Exception as err:  # a missing C compiler or linker: fall back, say why
            raise BuildError(f"building the kernels ahead of time failed: {err}") from None
        built = next(Path(scratch).glob(f"{name}*"), None)
        if built is None:
            raise BuildError("building the kernels ahead of time left no module")
        os.replace(built, path)
