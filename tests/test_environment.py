"""The recorded versions: read from installed metadata, without importing the packages."""

from __future__ import annotations

import platform
import subprocess
import sys

import numpy as np
import scipy

from sim import environment
from sim.environment import FIT_PACKAGES, versions


def test_versions_name_python_then_each_package_in_order():
    assert versions(FIT_PACKAGES) == {"python": platform.python_version(),
                                      "numpy": np.__version__, "scipy": scipy.__version__}
    assert list(versions(("simpy", "numpy"))) == ["python", "simpy", "numpy"]


def test_a_package_that_is_not_installed_says_so():
    assert versions(("no-such-package-summit",))["no-such-package-summit"] == "not installed"


def test_reading_the_versions_imports_none_of_the_packages():
    # The module loaded by its path alone, so that the package's own imports do not count.
    path = environment.__file__
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('environment', {path!r})\n"
            "module = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(module)\n"
            "module.versions()\n"
            "print(sorted({'numpy', 'scipy', 'numba', 'simpy'} & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
