"""Valid calls of the shared helpers (gradcheck, stats, records, validate).

Used by the bad-input test (see test_bad_input); the functions are small, so
the calls are too.
"""

import numpy as np

from badinput import case
from nnlab import gradcheck, records, stats, validate
from nnlab.stats import Summary


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _square(x):
    return x * x, x


def _square_backward(dout, cache):
    return 2 * cache * dout


def _frozen():
    return {"record": {"a": _x(3), "b": [_x(2)]}}


DIFF = Summary(mean=0.5, sd=0.2, se=0.1, n=4)

CASES = [
    case(gradcheck.rel_error, a=_x(4), b=_x(4, 1)),
    case(
        gradcheck.numerical_gradient,
        f=lambda x: (x * x).sum(),
        x=_x(3),
        dout=None,
        spoil=("x", "h"),
        h=1e-6,
    ),
    case(
        gradcheck.check_gradient,
        f=lambda x: (x * x).sum(),
        x=_x(3),
        analytic=2 * _x(3),
        h=1e-6,
    ),
    case(
        gradcheck.check_pair,
        make=lambda: {
            "forward": _square,
            "backward": _square_backward,
            "inputs": {"x": _x(3)},
            "dout": _x(3, 1),
            "h": 1e-6,
            "seed": 0,
        },
        aliases={"inputs": ("input",)},
    ),
    case(stats.summarize, values=_x(5)),
    case(stats.paired, a=_x(5), b=_x(5, 1)),
    case(stats.independent, a=_x(5), b=_x(4, 1)),
    case(stats.compare, diff=DIFF, level=0.95),
    case(stats.t_critical, df=4, level=0.95),
    case(stats.pm, s=DIFF, digits=2, spread="sd"),
    case(stats.bounded, value=1e-17, bound=1e-14),
    case(records.freeze_arrays, make=_frozen),
    case(
        validate.check_int,
        name="n",
        value=3,
        minimum=1,
        spoil=("value",),
        aliases={"value": ("n",)},
    ),
    case(
        validate.check_choice,
        name="kind",
        value="a",
        options=("a", "b"),
        spoil=("value",),
        aliases={"value": ("kind",)},
    ),
    case(
        validate.check_array,
        name="x",
        value=_x((2, 3)),
        ndim=2,
        spoil=("value",),
        aliases={"value": ("x",)},
    ),
    case(
        validate.check_dout,
        value=_x((2, 3)),
        expected=(2, 3),
        spoil=("value",),
        aliases={"value": ("dout",)},
    ),
    case(
        validate.as_floats,
        name="losses",
        value=np.array([0.5, 0.25]),
        ndim=1,
        spoil=("value",),
        aliases={"value": ("losses",)},
    ),
    case(
        validate.check_real,
        name="level",
        value=0.95,
        low=0.0,
        high=1.0,
        spoil=("value",),
        aliases={"value": ("level",)},
    ),
    case(
        validate.check_positive,
        name="eps",
        value=1e-5,
        spoil=("value",),
        aliases={"value": ("eps",)},
    ),
]
EXEMPT = {}
