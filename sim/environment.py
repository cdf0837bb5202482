"""The versions of Python and of the packages that summit-sim's numbers depend on.

The parameter file records the versions that fitted it (:data:`FIT_PACKAGES`), so that
``summit calibrate --check`` can tell a changed environment from changed code or data; every
``summary.json`` records those a run depends on (:data:`RUN_PACKAGES`). ``uv.lock`` pins them all;
this module only reads what is installed, from the packages' metadata, without importing them.
"""

from __future__ import annotations

import functools
import platform
from importlib import metadata

#: The packages whose arithmetic the fit's figures depend on.
FIT_PACKAGES = ("numpy", "scipy")
#: The packages whose arithmetic a run's figures depend on: draws, compiled kernels, aid events.
RUN_PACKAGES = ("numpy", "scipy", "numba", "simpy")


@functools.cache
def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions(packages: tuple[str, ...] = RUN_PACKAGES) -> dict[str, str]:
    """Python's version and each package's, by name, in the order given."""
    return {"python": platform.python_version(), **{name: _version(name) for name in packages}}
