"""Running the summit command in-process, for the CLI tests of every module."""

from __future__ import annotations

import pytest

from sim.cli import main


def summit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``summit ARGS``; return its exit status, standard output and standard error."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
        raise SystemExit(0)
    captured = capsys.readouterr()
    return done.value.code or 0, captured.out, captured.err
