"""The bad-input harness: one valid call per public function, then spoil it.

A `Case` is a valid call of one public function. `spoilt_calls` lists every
way of replacing one argument of the call with something bad (a small finite
set, so each is tried once rather than sampled):

- any argument: a value of the wrong type (None, a str, a list);
- an array: one axis fewer or more, an empty axis, an integer dtype, NaN,
  inf and -inf each at the first, middle and last index, and for 4-D
  channels-last arrays the channels-first transpose (N, C, H, W);
- an integer: a bool, a float, a negative number;
- an option string: an unknown string.

`check_call` then runs the spoilt call with every numpy warning turned into
an error and accepts exactly two outcomes:

1. a `ValueError` or `TypeError` whose message names the argument (its
   name, or one of the aliases the case lists: a dict argument's keys, for
   example); or
2. a return, whose arrays are finite whenever the spoilt input is finite
   (a channels-first array an elementwise kernel takes at face value, a
   negative shift). NaN or inf put into the input may propagate.

Anything else fails: `IndexError`, `ZeroDivisionError`, `KeyError`, a numpy
floating-point warning, or NaN out of finite input.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

ACCEPTED = (ValueError, TypeError)


@dataclass(frozen=True)
class Case:
    """A valid call of `func`, built fresh by `make` for every example.

    Parameters
    ----------
    func : callable
        The public function under test.
    make : callable
        Returns the keyword arguments of a valid call (fresh arrays each
        time: a function may write into its input).
    spoil : tuple of str, optional
        The arguments to spoil; all of them by default. A backward pass lists
        ``("dout",)``: its cache is built by the forward, not by a user.
    aliases : dict, optional
        Other words a message may use for an argument (for example the keys
        of a parameter dict), ``{"params": ("W1", "b1")}``.
    id : str, optional
        Shown in the test id; defaults to the function's qualified name.
    """

    func: Callable
    make: Callable[[], dict]
    spoil: tuple[str, ...] = ()
    aliases: dict = field(default_factory=dict)
    id: str = ""

    @property
    def name(self) -> str:
        """Module and name of the function, or the given id."""
        return self.id or f"{self.func.__module__}.{self.func.__qualname__}"


def case(func, make=None, spoil=(), aliases=None, id="", **kwargs) -> Case:
    """A `Case` from keyword arguments, or from a `make` function for fresh ones."""
    if make is None:

        def make():
            return {
                k: (v.copy() if isinstance(v, np.ndarray) else v)
                for k, v in kwargs.items()
            }

    return Case(func, make, tuple(spoil), dict(aliases or {}), id)


def _array_spoils(name: str, a: np.ndarray) -> list:
    """(description, bad value) replacements for the array argument `name`."""
    bad = [
        (f"{name} one axis fewer", a[..., 0] if a.ndim else a),
        (f"{name} one axis more", a[..., None]),
        (f"{name} as a list", a.tolist()),
        (f"{name} empty", np.zeros((0,) + a.shape[1:], a.dtype)),
    ]
    if a.ndim >= 1:
        bad.append((f"{name} empty last axis", a[..., :0]))
    if np.issubdtype(a.dtype, np.floating):
        bad.append((f"{name} integer", np.round(a).astype(np.int64)))
        # first, middle and last element: the edges of a loop or a window
        for i in sorted({0, a.size // 2, a.size - 1}) if a.size else ():
            for value in (np.nan, np.inf, -np.inf):
                b = a.copy()
                b.flat[i] = value
                bad.append((f"{name}[{i}] = {value}", b))
    if a.ndim == 4:
        bad.append((f"{name} channels-first", a.transpose(0, 3, 1, 2)))
    return bad


def _spoils(name: str, value) -> list:
    """(description, bad value) replacements for one argument."""
    wrong_type = [(f"{name} None", None), (f"{name} a str", "oops")]
    if isinstance(value, np.ndarray):
        return wrong_type + _array_spoils(name, value)
    if isinstance(value, bool):
        return []  # truthiness is Python's contract for flags
    if isinstance(value, (int, np.integer)):
        return wrong_type + [
            (f"{name} True", True),
            (f"{name} float", float(value) + 0.5),
            (f"{name} negative", -1 - abs(int(value))),
        ]
    if isinstance(value, str):
        return [(f"{name} None", None), (f"{name} unknown option", value + "_unknown")]
    if isinstance(value, float):
        return wrong_type + [(f"{name} nan", float("nan"))]
    if isinstance(value, dict):
        return wrong_type + [(f"{name} a list", list(value.values()))]
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, np.ndarray) for v in value)
    ):
        if hasattr(value, "_fields"):  # a record: only a wrong type makes sense
            return wrong_type
        return wrong_type + [(f"{name} empty", type(value)())]
    return []


class Spoilt(tuple):
    """(argument, description, keyword arguments); shown by its description."""

    def __repr__(self) -> str:
        return f"<{self[1]}>"


def spoilt_calls(c: Case) -> list[Spoilt]:
    """Every `Spoilt` call: the valid call with one argument replaced.

    Each call is built from fresh arguments, ``c.make()``, its bad value
    included (a function may write into its input, and some bad values are
    views of the valid one), so no call sees what an earlier one left behind.
    """
    names = list(c.spoil or c.make())
    calls = []
    for name in names:
        for j in range(len(_spoils(name, c.make()[name]))):
            kwargs = c.make()
            what, bad = _spoils(name, kwargs[name])[j]
            kwargs[name] = bad
            calls.append(Spoilt((name, what, kwargs)))
    if not calls:
        raise AssertionError(f"{c.name}: nothing to spoil in {names}")
    return calls


def _arrays(value):
    """Every ndarray in a return value (tuples, lists, dicts, dataclasses)."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v)
    elif hasattr(value, "__dataclass_fields__"):
        for k in value.__dataclass_fields__:
            yield from _arrays(getattr(value, k))


def _finite(value) -> bool:
    """True if no array in `value` (inputs or outputs) holds NaN or inf."""
    return all(
        np.isfinite(a).all()
        for a in _arrays(value)
        if np.issubdtype(np.asarray(a).dtype, np.number)
    )


def check_call(c: Case, name: str, what: str, kwargs: dict) -> None:
    """Run a spoilt call; fail unless it refuses well or returns finite output."""
    words = (name, *c.aliases.get(name, ()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            try:
                out = c.func(**kwargs)
            except ACCEPTED as e:
                message = str(e)
                named = [re.search(rf"\b{re.escape(w)}\b", message) for w in words]
                assert any(named), (
                    f"{c.name} with {what}: {type(e).__name__} does not name "
                    f"{' or '.join(map(repr, words))}: {message!r}"
                )
                return
            except Exception as e:  # noqa: BLE001 - the failure being reported
                raise AssertionError(
                    f"{c.name} with {what}: {type(e).__name__}: {e}"
                ) from e
    if _finite(kwargs[name]):
        assert _finite(out), f"{c.name} with {what}: NaN or inf from finite input"


def check_valid(c: Case) -> None:
    """The unspoilt call returns, finite, with no numpy warning."""
    kwargs = c.make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            out = c.func(**kwargs)
    assert _finite(out), f"{c.name}: NaN or inf from its valid call"


def signature_names(func) -> set[str]:
    """The parameter names of `func`."""
    return set(inspect.signature(func).parameters)


def array_arguments(c: Case) -> list[str]:
    """The floating array arguments of `c` that may be spoilt."""
    kwargs = c.make()
    names = list(c.spoil or kwargs)
    return [
        n
        for n in names
        if isinstance(kwargs[n], np.ndarray)
        and np.issubdtype(kwargs[n].dtype, np.floating)
        and kwargs[n].size
    ]


def poisoned_calls(c: Case):
    """Hypothesis strategy: NaN or +-inf at a drawn index of a drawn array.

    The enumerated spoils put them at the first, middle and last element;
    this draws the position anywhere (hypothesis shrinks a failure to the
    smallest index that shows it).
    """
    from hypothesis import strategies as st

    names = array_arguments(c)

    @st.composite
    def draw(draw):
        kwargs = c.make()
        name = draw(st.sampled_from(names))
        a = kwargs[name].copy()
        i = draw(st.integers(0, a.size - 1))
        value = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        a.flat[i] = value
        kwargs[name] = a
        return Spoilt((name, f"{name}[{i}] = {value}", kwargs))

    return draw()
