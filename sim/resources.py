"""Where the shipped scenarios and calibration data live, in a checkout or in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    # A wheel carries the folders inside the package; a checkout (or editable install) has them
    # beside the package.
    inside = _PACKAGE / "_shipped" / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def scenarios_dir() -> Path:
    """The folder of shipped scenario files."""
    return _shipped("scenarios")


def calibration_dir() -> Path:
    """The calibration folder: sourced data under ``data/``, fitted parameters beside it."""
    return _shipped("calibration")
