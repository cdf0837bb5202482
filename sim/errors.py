"""The exception hierarchy: one root, subclasses that say what the user should fix.

Every error a user can cause derives from :class:`SimError`. The CLI prints such an error as one
line and exits with status 2; anything else is a bug in summit-sim and keeps its traceback.
"""

from __future__ import annotations


class SimError(Exception):
    """Root of every error summit-sim raises on bad input."""


class LocatedError(SimError):
    """An error at a dotted key of a file: reads ``FILE: key.path: what is wrong``."""

    def __init__(self, file: object, key: str | None, problem: str) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(one_line(f"{where}: {problem}"))


def one_line(text: str) -> str:
    """``text`` with each control character or line break written as its escape (``\\r``): a
    key or a file name a user wrote holds any character, and the message stays one line."""
    return "".join(repr(c)[1:-1] if not c.isprintable() and c != " " else c for c in text)


class ScenarioError(LocatedError):
    """A scenario file is wrong at a given dotted key.

    Reads ``bad.toml: allies.DEU.policy.adjustment: must be between 0 and 1, got 1.4``.
    """


class SweepError(LocatedError):
    """A sweep file is wrong at a given dotted key: ``sweep.toml: sweep.design: must be ...``.

    A sibling of ScenarioError: a mistake in the sweep's base scenario stays a ScenarioError
    naming the scenario file, and a base the sweep file names that does not exist is a
    SweepError at ``sweep.base``.
    """


class ScenarioWarning(LocatedError):
    """A value a file may hold but a planner should look at twice, at a dotted key of a file.

    Reads ``my.toml: goal.core: 0.035 is outside the typical range 1-10 (% of GDP); a fraction
    where a percent is meant?``. The library neither raises nor prints one: a loaded scenario
    (or sweep) carries its warnings, the CLI prints each as one line, and ``--strict`` raises
    them as errors. Any accepted-but-doubtful setting is reported this way, not only ranges.
    """


class ResultsError(LocatedError):
    """A run or sweep folder lacks a file the command needs, or holds a malformed one.

    Reads ``out/run/summary.json: allies.DEU.p_meet_goal: missing``; rerun ``summit run --out``
    or ``summit sweep`` to write the folder again.
    """


class DataError(SimError):
    """A calibration data file is missing or malformed."""


class OptionError(SimError):
    """A command-line option or a library argument is out of its domain."""


class WorkerError(SimError):
    """A pool process died (killed, or out of memory) and its work could not be finished;
    nothing was written that the work would have made: run it again."""


class FieldError(ValueError):
    """Raised by attrs validators: names the field so loaders can prefix its dotted key."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")
