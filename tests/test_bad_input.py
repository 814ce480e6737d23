"""Every public function of the package, fed bad input (issue 13, item 9).

The valid calls live in ``tests/cases_*.py``, one file per part of the
package; each exports ``CASES`` (a list of `badinput.Case`) and ``EXEMPT``
(qualified name -> why the function takes no user input worth spoiling).
The coverage test below fails when a public function has neither, so a new
function cannot skip this test by accident. Every enumerated spoil of every
case is tried (`badinput.spoilt_calls`); on top, hypothesis puts NaN or
+-inf at drawn positions of every array argument (`badinput.poisoned_calls`).

Not covered, by design: the tooling (`nnlab.kernel`, `nnlab.execute` and
the handout builder `nnlab.book`: command lines that read the repository's
own notebooks, tested in test_kernel, test_execute and test_handouts) and
the figure modules (`nnlab.views`, `nnlab.pN_*.figures`: they draw records
made by the library, and their widget callbacks receive only values the
widgets allow).
"""

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from hypothesis import given, settings

import nnlab
from badinput import (
    array_arguments,
    check_call,
    check_valid,
    poisoned_calls,
    spoilt_calls,
)

TOOLING = {"nnlab.kernel", "nnlab.execute"}
HERE = Path(__file__).resolve().parent


def _is_figure_module(name: str) -> bool:
    # figures, erf_figures, figure_parts: drawing code and its shared parts
    return name.startswith("nnlab.views") or "figure" in name.rsplit(".", 1)[-1]


def public_functions() -> dict[str, object]:
    """Qualified name -> function, for every public function of nnlab."""
    found = {}
    for info in pkgutil.walk_packages(nnlab.__path__, "nnlab."):
        if (
            info.name in TOOLING
            or info.name.startswith("nnlab.book")
            or (_is_figure_module(info.name))
        ):
            continue
        module = importlib.import_module(info.name)
        for attr, obj in vars(module).items():
            # functools wrappers (lru_cache) count as the function they wrap
            if attr.startswith("_") or not inspect.isfunction(inspect.unwrap(obj)):
                continue
            if obj.__module__ != info.name:
                continue  # imported from elsewhere; counted where defined
            found[f"{info.name}.{attr}"] = obj
    return found


def _case_modules():
    for path in sorted(HERE.glob("cases_*.py")):
        yield importlib.import_module(path.stem)


CASES = [c for m in _case_modules() for c in m.CASES]
EXEMPT = {k: v for m in _case_modules() for k, v in m.EXEMPT.items()}


def test_every_public_function_has_a_case_or_a_stated_exemption():
    covered = {
        f"{c.func.__module__}.{inspect.unwrap(c.func).__qualname__}" for c in CASES
    }
    missing = sorted(set(public_functions()) - covered - set(EXEMPT))
    assert missing == [], f"public functions with no bad-input case: {missing}"
    stale = sorted(set(EXEMPT) - set(public_functions()))
    assert stale == [], f"exemptions for names that no longer exist: {stale}"
    assert all(len(reason) > 20 for reason in EXEMPT.values())


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name.removeprefix("nnlab."))
def test_the_valid_call_returns_finite_output(c):
    check_valid(c)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name.removeprefix("nnlab."))
def test_bad_input_is_refused_by_name_or_handled(c):
    # every spoilt call, not a sample: the set is small and finite
    calls = spoilt_calls(c)
    assert calls, c.name
    for call in calls:
        check_call(c, *call)


POISONABLE = [c for c in CASES if array_arguments(c)]


@pytest.mark.parametrize("c", POISONABLE, ids=lambda c: c.name.removeprefix("nnlab."))
def test_nan_or_inf_anywhere_is_refused_or_propagates(c):
    # hypothesis draws the array, the position and the value; the outcomes
    # allowed are those of check_call (refused by name, or returned with no
    # numpy warning)
    @settings(max_examples=8, derandomize=True, database=None, deadline=None)
    @given(poisoned_calls(c))
    def run(call):
        check_call(c, *call)

    run()
