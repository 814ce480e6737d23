"""Results records are built once: a caller cannot change a cached run.

Each cached experiment is tried the same way: reassigning a field fails,
writing into one of its arrays fails, and after the failed attempts the
next call returns the same object with the same values.
"""

import dataclasses

import numpy as np
import pytest

from nnlab.p2_activations import study as p2_study
from nnlab.p2_activations.figures import run as p2_run
from nnlab.p3_expansion import experiments as p3
from nnlab.p3_expansion.study import study as p3_study
from nnlab.p4_seqnorm.nextstep import train_seeds
from nnlab.records import freeze_arrays


def _try_to_change(record, field, array):
    """Attempt a reassignment and a write; both must fail."""
    error = dataclasses.FrozenInstanceError
    if isinstance(record, tuple):
        error = AttributeError  # a named tuple's fields cannot be set
    with pytest.raises(error):
        setattr(record, field, None)
    with pytest.raises(ValueError, match="read-only"):
        array[...] = 0


CACHED = {
    "p3 narrow_run": (lambda: p3.narrow_run(0), lambda r: ("loss", r.loss)),
    "p3 narrow_run params": (
        lambda: p3.narrow_run(0),
        lambda r: ("params", r.params[0]["W"]),
    ),
    "p3 scratch_run": (
        lambda: p3.scratch_run("deepen", 0),
        lambda r: ("grad_norms", r.grad_norms),
    ),
    "p3 data": (lambda: p3.expansion_spirals(0), lambda r: ("X", r.X)),
    "p3 grow start": (
        lambda: p3.grow("widen", "zero", 0, 24),
        lambda r: ("start", r.start[0]["W"]),
    ),
    "p3 grow watched": (
        lambda: p3.grow("widen", "zero", 0, 24),
        lambda r: ("history", r.history.watched["grad"]),
    ),
    "p4 train_seeds": (
        lambda: train_seeds("causal", seeds=2, T=4, steps=3, n=8),
        lambda r: ("losses", r.losses),
    ),
    "p2 run": (lambda: p2_run("relu", 1, 0.1), lambda r: ("loss", r.loss)),
}


@pytest.mark.parametrize("name", sorted(CACHED))
def test_a_cached_run_cannot_be_changed_by_a_caller(name):
    make, pick = CACHED[name]
    first = make()
    field, array = pick(first)
    before = array.copy()
    _try_to_change(first, field, array)
    again = make()
    assert again is first
    np.testing.assert_array_equal(pick(again)[1], before)


def test_the_p3_study_is_read_only_throughout():
    runs = p3_study()
    setting = next(iter(runs))
    with pytest.raises(TypeError, match="does not support item assignment"):
        runs[setting] = None
    r = runs[setting]
    with pytest.raises(TypeError, match="does not support item assignment"):
        r.test_acc["narrow"] = np.zeros(1)
    before = r.test_acc["narrow"].copy()
    _try_to_change(r, "test_acc", r.test_acc["narrow"])
    np.testing.assert_array_equal(p3_study()[setting].test_acc["narrow"], before)


def test_the_p2_study_is_read_only_throughout():
    res = p2_study.run_study()
    key = next(iter(res.runs))
    with pytest.raises(TypeError, match="does not support item assignment"):
        res.runs[key] = None
    h = res.runs[key]
    before = h.test_acc.copy()
    _try_to_change(h, "test_acc", h.test_acc)
    _try_to_change(res, "linear_acc", res.linear_acc)
    np.testing.assert_array_equal(p2_study.run_study().runs[key].test_acc, before)


def test_freeze_arrays_reaches_every_nested_array_and_returns_its_input():
    a, b, c = np.zeros(2), np.zeros(3), np.zeros(4)
    record = {"x": [a, (b, None)], "y": {"z": c}, "n": 1}
    assert freeze_arrays(record) is record
    assert not any(arr.flags.writeable for arr in (a, b, c))
