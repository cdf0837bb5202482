"""The small two-parameter sweep files the sweep and report tests run, written one way."""

from __future__ import annotations

#: (key, low, high) of a swept parameter.
FOLLOW = ("defaults.commitment.follow", "0.1", "0.6")
WIDE_FOLLOW = ("defaults.commitment.follow", "0.05", "0.5")
RELATED = ("defaults.related.adjustment", "0.1", "0.6")
GROWTH = ("defaults.growth.mean", "0.005", "0.025")


def sweep_text(*, design: str, samples: int | str, seed: int, draws: int | str,
               parameters: tuple[tuple[str, str, str], ...], extra: str = "") -> str:
    """A sweep of the baseline on ``design`` over ``parameters``, each on its range; ``extra``
    is a line of further ``[sweep]`` keys (blank by default). Numbers may be ``{name}``
    placeholders left for ``str.format``."""
    ranges = "\n".join(f'[[sweep.parameters]]\nkey = "{key}"\nrange = [{low}, {high}]\n'
                       for key, low, high in parameters)
    return (f'\n[sweep]\nbase = "baseline"\ndesign = "{design}"\nsamples = {samples}\n'
            f"seed = {seed}\ndraws = {draws}\n{extra}\n{ranges}")
