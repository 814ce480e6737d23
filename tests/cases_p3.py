"""Valid calls of `nnlab.p3_expansion` for the bad-input test.

The experiment functions run at the module's fixed sizes and are cached:
each valid call trains once (under a second at seed 0), and every spoilt
call is refused before any training. The study runs on its own seeds
(`study.SEEDS`): the call the study's tests and the notebook make, so this
one is the cached run, not a second training.
"""

import numpy as np

from badinput import case
from nnlab.mlp import init_mlp
from nnlab.p3_expansion import batched, experiments, grow, study, tables

NOT_SPOILT = "which the harness does not spoil"


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _net(sizes=(2, 3, 3, 2), seed=0):
    return init_mlp(list(sizes), np.random.default_rng(seed))


def _stack():
    return batched.stack([_net(seed=0), _net(seed=1)])


def _labels(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 2, shape)


def _backward():
    scores, cache = batched.batch_forward(_x((2, 4, 2)), _stack())
    return {"dout": _x(scores.shape, 1), "cache": cache}


def _runs():
    return dict(study.study(0.0, study.SEEDS))


CASES = [
    case(batched.batch_forward, make=lambda: {"X": _x((2, 4, 2)), "params": _stack()}),
    case(batched.batch_backward, make=_backward, spoil=("dout",)),
    case(batched.batch_cross_entropy, scores=_x((2, 4, 2)), y=_labels((2, 4))),
    case(
        batched.fit_batch,
        make=lambda: {
            "params": _stack(),
            "X": _x((2, 5, 2)),
            "y": _labels((2, 5)),
            "X_test": _x((2, 3, 2), 1),
            "y_test": _labels((2, 3), 1),
            "steps": 2,
            "lr": 0.1,
            "momentum": 0.9,
        },
    ),
    case(batched.unstack, make=lambda: {"params": _stack(), "i": 1}),
    case(
        grow.widen,
        make=lambda: {
            "params": _net(),
            "layer": 0,
            "new_width": 5,
            "strategy": "net2net",
            "rng": np.random.default_rng(0),
            "spread": 0.1,
        },
    ),
    case(
        grow.deepen,
        make=lambda: {
            "params": _net(),
            "after_layer": 1,
            "strategy": "kaiming",
            "rng": np.random.default_rng(0),
        },
    ),
    case(experiments.expansion_spirals, seed=0),
    case(experiments.narrow_run, seed=0),
    case(experiments.narrow_continued, seed=0),
    case(experiments.expanded_sizes, kind="widen", layer=1, added=8),
    case(experiments.scratch_run, kind="deepen", layer=0, added=0, seed=0),
    case(experiments.grow, kind="widen", strategy="zero", layer=0, added=8, seed=0),
    case(
        experiments.expanded,
        make=lambda: {
            "before": experiments.narrow_run(0).params,
            "kind": "widen",
            "strategy": "net2net_uneven",
            "layer": 1,
            "added": 8,
            "seed": 0,
        },
    ),
    case(experiments.net2net_as_narrow, layer=0, added=8, seed=0),
    case(
        grow.rescale_units,
        make=lambda: {"params": _net(), "layer": 1, "factors": np.array([1.0, 2, 3])},
    ),
    case(study.added_sweep, layer=0, added=(8,), seed=0),
    case(tables.table_rows, make=lambda: {"runs": _runs()}),
    case(tables.comparison_rows, spoil=("runs",), make=lambda: {"runs": _runs()}),
    case(experiments.rounding_bound, make=lambda: {"X": _x((4, 2)), "params": _net()}),
    case(
        experiments.keep_tolerance,
        make=lambda: {
            "X": _x((4, 2)),
            "before": _net(),
            "after": _net(seed=1),
        },
    ),
    case(experiments.ulps_apart, a=_x(5), b=_x(5) + 1e-12),
    case(study.study, perturb=0.0, seeds=study.SEEDS),
    case(tables.table_lines, make=lambda: {"runs": _runs()}),
    case(tables.comparison_lines, spoil=("runs",), make=lambda: {"runs": _runs()}),
    case(tables.kaiming_summary, make=lambda: {"runs": _runs()}),
]
EXEMPT = {
    "nnlab.p3_expansion.batched.stack": f"networks is a list of networks, "
    f"{NOT_SPOILT}; it checks each with nnlab.mlp.check_params",
    "nnlab.p3_expansion.grow.new_parameters": f"params (layer dicts) and "
    f"expansion (a record) are {NOT_SPOILT}; both are checked",
    "nnlab.p3_expansion.tables.where": f"setting is a (kind, layer, added) tuple, "
    f"{NOT_SPOILT}; its kind goes through check_choice",
}
