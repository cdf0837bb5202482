"""The TOML schema: field kinds, conversion and checking, shared by every file summit-sim reads.

A table of a scenario (``[goal]``, ``[aid.pledges]``...) or a sweep file is a frozen attrs class
whose fields are declared with the helpers below: :func:`number`, :func:`integer`,
:func:`boolean`, :func:`string`, :func:`points` and :func:`codes`; a nested table is
``attrs.field(factory=cls, metadata={"kind": "table"})``. Each records its TOML kind in the
field's metadata, and a number its unit, its hard bounds and its *typical*
range, as scipy.stats' distributions declare a parameter's domain and typical values.
:func:`build` turns a TOML table into such a class key by key: an unknown key, a wrong type or a
value outside the hard bounds is a :class:`~sim.errors.ScenarioError` at ``FILE: dotted.key``
(with a :func:`did_you_mean` for a misspelt key); a value inside the bounds but outside the
typical range adds a :class:`~sim.errors.ScenarioWarning` to the list the caller passes.

This module knows no scenario: which tables exist and how they combine is :mod:`sim.scenario`'s
and :mod:`sim.scenario.aid`'s business.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from sim.errors import FieldError, ScenarioError, ScenarioWarning

#: Units of the spending model's keys, as the README's units table gives them.
SHARE = "% of GDP"
POINTS = "pp of GDP"
YEAR = "year"

Table = TypeVar("Table", bound=attrs.AttrsInstance)

#: Checks one entry of a ``codes`` field: ``check(code, dotted_key, file)``, raising a
#: ScenarioError for a code it does not know.
CodeCheck = Callable[[Any, str, str], None]

#: A ``points`` field's shares lie in [POINT_LOW, POINT_HIGH): a share of GDP.
POINT_LOW, POINT_HIGH = 0.0, 100.0


# --- declaring fields --------------------------------------------------------------------------


def _range(lo: float | None, hi: float | None, *, lo_open: bool = False,
           hi_open: bool = False) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    if lo is not None and hi is not None and not (lo_open or hi_open):
        bound = f"between {lo} and {hi}"
    else:
        parts = []
        if lo is not None:
            parts.append(f"{'above' if lo_open else 'at least'} {lo}")
        if hi is not None:
            parts.append(f"{'below' if hi_open else 'at most'} {hi}")
        bound = " and ".join(parts)

    def check(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        below = lo is not None and (value <= lo if lo_open else value < lo)
        above = hi is not None and (value >= hi if hi_open else value > hi)
        if below or above:
            raise FieldError(attribute.name, f"must be {bound}, got {value}")

    return check


def choice(options: tuple[str, ...]) -> Callable[[object, attrs.Attribute[Any], str], None]:
    """An attrs validator: the value is one of ``options`` (with a did-you-mean if not)."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in options:
            raise FieldError(
                attribute.name,
                f"must be one of {', '.join(repr(o) for o in options)}, got {value!r}"
                + did_you_mean(value, options),
            )

    return check


def interval(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    """Hard bounds in interval notation: ``[0, 1]``, ``[0, 100)``, ``[0, inf)``."""
    left = "(" if lo is None or lo_open else "["
    right = ")" if hi is None or hi_open else "]"
    low = "-inf" if lo is None else figure(lo)
    high = "inf" if hi is None else figure(hi)
    return f"{left}{low}, {high}{right}"


def number(default: float | None, lo: float | None = None, hi: float | None = None, *,
           typical: tuple[float, float], unit: str, lo_open: bool = False,
           hi_open: bool = False) -> Any:
    """A TOML number (an integer is taken as a float), within hard bounds ``lo`` to ``hi``."""
    return attrs.field(default=default,
                       validator=_range(lo, hi, lo_open=lo_open, hi_open=hi_open),
                       metadata={"kind": "number", "unit": unit, "typical": typical,
                                 "bounds": interval(lo, hi, lo_open, hi_open)})


def integer(default: int | None, lo: int | None = None, hi: int | None = None, *,
            typical: tuple[int, int], unit: str, bounds: str | None = None) -> Any:
    """A TOML integer within ``lo`` to ``hi``.

    ``bounds``: the hard bounds in words, where other keys set them (a year after the base).
    """
    return attrs.field(default=default, validator=_range(lo, hi),
                       metadata={"kind": "integer", "unit": unit, "typical": typical,
                                 "bounds": bounds or interval(lo, hi, False, False)})


def boolean(default: bool) -> Any:
    """A TOML boolean."""
    return attrs.field(default=default, metadata={"kind": "boolean"})


def string(default: str | None, choices: tuple[str, ...] | None = None, *,
           unit: str | None = None) -> Any:
    """A TOML string, one of ``choices`` if given; ``unit`` says how it is written (YYYY-MM)."""
    validator = choice(choices) if choices else None
    metadata = {"kind": "string"} if unit is None else {"kind": "string", "unit": unit}
    return attrs.field(default=default, validator=validator, metadata=metadata)


def points(*, typical: tuple[float, float], unit: str, high: float = POINT_HIGH) -> Any:
    """A table of ``year = value`` points (``{ 2030 = 3.0 }``), read as sorted pairs; values
    in [POINT_LOW, ``high``): shares of GDP unless the field says otherwise."""
    return attrs.field(default=(), metadata={
        "kind": "points", "unit": unit, "typical": typical, "high": high,
        "bounds": interval(POINT_LOW, high, False, True)})


def codes(check: CodeCheck) -> Any:
    """A non-empty array of distinct codes, each passed to ``check``; ``None`` when unset."""
    return attrs.field(default=None, metadata={"kind": "codes", "check": check})


# --- how values read in messages ---------------------------------------------------------------


def figure(value: float) -> str:
    """A number as a scenario file writes it: ``0.035``, ``10``, ``60e9``."""
    if value and abs(value) >= 1e5:
        mantissa, exponent = f"{value:e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:g}"


def span(typical: tuple[float, float]) -> str:
    """A typical range in words: ``1-10``, ``-0.03 to 0.07``."""
    lo, hi = typical
    return f"{figure(lo)} to {figure(hi)}" if lo < 0 else f"{figure(lo)}-{figure(hi)}"


def type_name(value: Any) -> str:
    """A TOML value's type as a message names it: ``a number``, ``a table``."""
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def did_you_mean(word: Any, options: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` with the closest of ``options``, or nothing if none is close."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


#: Units whose values are money, where a figure in millions or billions is a likely slip.
_MONEY = frozenset({"USD", "units of the pledge's currency"})


def _slip(value: float, typical: tuple[float, float], unit: str) -> str:
    """The unit slip that would explain an atypical value, as a question, or nothing."""
    lo, hi = typical
    if unit.startswith("%") and value < lo <= value * 100 <= hi:
        return "; a fraction where a percent is meant?"
    if unit.startswith("fraction") and value >= 1 and lo <= value / 100 <= hi:
        return "; a percent where a fraction is meant?"
    if unit in _MONEY and value < lo and (lo <= value * 1e6 <= hi or lo <= value * 1e9 <= hi):
        return "; millions or billions where the full sum is meant (write 60e9 for 60 billion)?"
    return ""


# --- reading tables ----------------------------------------------------------------------------


def nested_class(field: attrs.Attribute[Any]) -> type[attrs.AttrsInstance] | None:
    """The class a nested-table field is built as (its default's factory), else ``None``.

    A table field without a factory (the aid tables' ``lag = None``) is built by its loader.
    """
    factory = getattr(field.default, "factory", None)
    return factory if field.metadata.get("kind") == "table" and isinstance(factory, type) else None


def check_typical(field: attrs.Attribute[Any], value: Any, key: str, file: str,
                  warnings: list[ScenarioWarning] | None) -> None:
    """Warn when a value within the hard bounds lies outside the field's typical range."""
    typical = field.metadata.get("typical")
    if warnings is None or typical is None or value is None:
        return
    if not typical[0] <= value <= typical[1]:
        unit = field.metadata["unit"]
        warnings.append(ScenarioWarning(
            file, key, f"{figure(value)} is outside the typical range {span(typical)} "
            f"({unit}){_slip(value, typical, unit)}"))


#: Tables of plain values built before, without warnings, by class and contents: a sweep's
#: variants build every ally's unchanged tables again (see :func:`build`). Emptied when full.
_BUILT: dict[tuple[Any, ...], Any] = {}
_BUILT_MOST = 4096
_PLAIN = (bool, int, float, str)


def contents(table: dict[str, Any]) -> tuple[Any, ...] | None:
    """A table of plain values as a key that tells apart what equality would not (``1`` from
    ``1.0`` and ``True``, ``-0.0`` from ``0.0``); None for a table holding a table or an array."""
    found: list[Any] = []
    for name, value in table.items():
        kind = type(value)
        if kind not in _PLAIN:
            return None
        # Only a zero's sign escapes equality (NaN never equals itself, so is never found).
        found.append((name, kind, value if value or kind is not float else repr(value)))
    return tuple(found)


def build(cls: type[Table], table: Any, key: str, file: str,
          warnings: list[ScenarioWarning] | None = None) -> Table:
    """Construct ``cls`` from a TOML table, turning every problem into a ScenarioError.

    With ``warnings``, each value outside its field's typical range adds a warning there.
    Without, a table of plain values that was built before gives the same (frozen) object
    again: what is built depends on the class and the values only, never on ``key`` or
    ``file``, which only an error names, and a table that fails is never kept.
    """
    if not isinstance(table, dict):
        raise ScenarioError(file, key, f"must be a table, got {type_name(table)}")
    if warnings is not None:
        return _build(cls, table, key, file, warnings)
    found = contents(table)
    if found is None:
        return _build(cls, table, key, file, None)
    kept = _BUILT.get((cls, found))
    if kept is None:
        kept = _build(cls, table, key, file, None)
        if len(_BUILT) >= _BUILT_MOST:
            _BUILT.clear()
        _BUILT[(cls, found)] = kept
    return kept


def _build(cls: type[Table], table: dict[str, Any], key: str, file: str,
           warnings: list[ScenarioWarning] | None) -> Table:
    """:func:`build`, always anew."""
    fields = {f.name: f for f in attrs.fields(cls)}
    kwargs = {}
    for name, value in table.items():
        if name not in fields:
            raise ScenarioError(
                file, f"{key}.{name}", "unknown key" + did_you_mean(name, fields)
                + f"; {key} takes {', '.join(fields)}",
            )
        kwargs[name] = convert(fields[name], value, f"{key}.{name}", file, warnings)
    try:
        built = cls(**kwargs)
    except FieldError as err:
        raise ScenarioError(file, f"{key}.{err.field}", err.problem) from None
    for name, value in kwargs.items():
        if fields[name].metadata.get("kind") in ("number", "integer"):
            check_typical(fields[name], value, f"{key}.{name}", file, warnings)
    return built


def convert(field: attrs.Attribute[Any], value: Any, key: str, file: str,
            warnings: list[ScenarioWarning] | None = None) -> Any:
    """One TOML value checked against its field's kind, as the field holds it."""
    kind = field.metadata.get("kind")
    nested = nested_class(field)
    if nested is not None:
        return build(nested, value, key, file, warnings)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(file, key, f"must be a number, got {type_name(value)}")
        if not math.isfinite(value):
            raise ScenarioError(file, key, f"must be a finite number, got {value}")
        return float(value)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(file, key, f"must be an integer, got {type_name(value)}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ScenarioError(file, key, f"must be true or false, got {type_name(value)}")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise ScenarioError(file, key, f"must be a string, got {type_name(value)}")
        return value
    if kind == "codes":
        if not isinstance(value, list) or not value:
            raise ScenarioError(file, key, "must be a non-empty array of ISO3 codes")
        for i, code in enumerate(value):
            field.metadata["check"](code, f"{key}[{i}]", file)
        if len(set(value)) != len(value):
            raise ScenarioError(file, key, "lists an ally twice")
        return tuple(value)
    if kind == "points":
        found = _points(value, key, file, field.metadata["high"])
        for year, share in found:
            check_typical(field, share, f"{key}.{year}", file, warnings)
        return found
    raise AssertionError(f"field {field.name} has no TOML kind")  # a bug, not user input


def _points(value: Any, key: str, file: str,
            high: float = POINT_HIGH) -> tuple[tuple[int, float], ...]:
    if not isinstance(value, dict) or not value:
        raise ScenarioError(file, key, 'must be a table of year = share, e.g. { 2030 = 3.0 }')
    found = []
    for year, share in value.items():
        if not (str(year).isascii() and str(year).isdigit()):
            raise ScenarioError(file, f"{key}.{year}", "must be a year, e.g. 2030")
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise ScenarioError(file, f"{key}.{year}", f"must be a number, got {type_name(share)}")
        if not POINT_LOW <= share < high:
            raise ScenarioError(file, f"{key}.{year}",
                                f"must be between {figure(POINT_LOW)} and {figure(high)}, "
                                f"got {share}")
        found.append((int(year), float(share)))
    return tuple(sorted(found))
