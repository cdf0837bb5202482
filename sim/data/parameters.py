"""The calibrated parameter file, ``calibration/parameters.toml``, as the scenario loader reads it.

:mod:`sim.calibration.fit` fits the parameters and writes this file; every scenario value left unset
is filled from it (:func:`calibrated_table`). Reading it needs only :mod:`tomllib`, so loading a
scenario never imports the fitting code (SciPy) that wrote it.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from sim.errors import DataError
from sim.resources import calibration_dir

#: The parameter file's name in the calibration folder.
PARAMETERS_FILE = "parameters.toml"


@functools.lru_cache(maxsize=4)
def load_parameters(path: Path | None = None) -> dict[str, Any]:
    """The parameter file as a mapping; a clear :class:`DataError` if missing or malformed."""
    path = path or calibration_dir() / PARAMETERS_FILE
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: parameter file is missing; run `summit calibrate`") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise DataError(f"{path}: not valid TOML: {err}") from None
    for key in ("alliance", "allies"):
        if not isinstance(document.get(key), dict):
            raise DataError(f"{path}: {key}: missing table; run `summit calibrate`")
    return document


def calibrated_table(code: str, path: Path | None = None) -> dict[str, Any]:
    """The values the parameter file gives one ally, shaped as a scenario's ``[allies.X]`` table.

    The loader merges a scenario over this table, so a scenario overrides any value it sets.
    """
    parameters = load_parameters(path)
    alliance, ally = parameters["alliance"], parameters["allies"].get(code)
    try:
        return {
            "policy": {"adjustment": ally["policy"]["adjustment"],
                       "noise": ally["policy"]["noise"]},
            "growth": {"sd": ally["growth"]["sd"],
                       "persistence": alliance["growth"]["persistence"],
                       "common": alliance["growth"]["common"]},
            "shocks": {"rate": alliance["shocks"]["rate"], "size": alliance["shocks"]["size"],
                       "spread": alliance["shocks"]["spread"],
                       "exposure": alliance["shocks"]["exposure"]},
            "commitment": {"follow": alliance["commitment"]["follow"],
                           "credibility": ally["commitment"]["credibility"],
                           "spread": alliance["commitment"]["spread"]},
            "fiscal": {"elasticity": alliance["fiscal"]["elasticity"]},
        }
    except (KeyError, TypeError) as err:
        # Found only here: a sweep's variants read every ally's table again.
        where = path or calibration_dir() / PARAMETERS_FILE
        raise DataError(f"{where}: allies.{code} or alliance: missing {err}; "
                        "run `summit calibrate`") from None
