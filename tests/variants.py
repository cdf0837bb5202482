"""Scenario files for tests: variants of the baseline without some of its planning layers.

The baseline has plans, commitment, fiscal space and threat events on; a test of a setting that
acts (or cannot) where a layer is off builds on a parent file that switches the layer off, as a
planner's variant would, and extends it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def without_layers(write_toml: Callable[..., Path], *tables: str) -> str:
    """The head of a file extending a parent (``off.toml``, written here) that extends the
    baseline with ``[defaults.TABLE] enabled = false`` for each of ``tables``."""
    off = "".join(f"[defaults.{table}]\nenabled = false\n" for table in tables)
    parent = write_toml('[scenario]\nname = "off"\nextends = "baseline"\n' + off, "off.toml")
    return f'[scenario]\nname = "t"\nextends = "{parent.name}"\n'
