"""Valid calls of `nnlab.p2_activations` for the bad-input test.

Tiny sizes: one hidden layer of 3 units, 2 seeds of 8 points, 2 steps.
`run_study` has no size to shrink: its valid call trains the study on the
fewest seeds it accepts, two (under `make test`'s two workers the study's
own tests may run in the other process, so a cache shared with them would
not be); every spoilt call is refused before any training.
"""

import numpy as np

from badinput import case
from nnlab.data import spirals
from nnlab.p2_activations import batched, bn_mlp, mechanism, seed_stack, study

SEEDS = (0, 1)
NOT_SPOILT = "which the harness does not spoil"


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _params():
    return seed_stack.init_bn_mlp_seeds(1, 3, SEEDS)


def _split():
    return tuple(seed_stack.stack_splits([spirals(8, 0.1, s) for s in SEEDS]))


def _backward():
    scores, cache, _ = batched.forward_seeds(_x((2, 4, 2)), _params(), "relu")
    return {"dout": _x(scores.shape, 1), "cache": cache}


def _history():
    return batched.fit_seeds(
        _params(), _split(), activation="relu", steps=2, lr=0.1, momentum=0.9
    )


def _fake_study():
    runs, h = {}, _history()
    for name in study.NAMES:
        for depth in study.depths_of(name):
            rng = np.random.default_rng(len(runs))
            runs[name, depth] = h._replace(test_acc=rng.uniform(0.4, 1.0, 2))
    return study.ActivationStudy(runs, np.array([0.5, 0.6]), SEEDS)


FAKE = _fake_study()

CASES = [
    case(
        batched.forward_seeds,
        make=lambda: {"X": _x((2, 4, 2)), "params": _params(), "activation": "relu"},
    ),
    case(batched.backward_seeds, make=_backward, spoil=("dout",)),
    case(
        batched.cross_entropy_seeds,
        scores=_x((2, 4, 3)),
        y=np.array([[0, 1, 2, 1], [2, 2, 0, 1]]),
    ),
    case(
        batched.fit_seeds,
        make=lambda: {
            "params": _params(),
            "data": _split(),
            "activation": "relu",
            "steps": 2,
            "lr": 0.1,
            "momentum": 0.9,
        },
    ),
    case(seed_stack.unstack_params, make=lambda: {"params": _params(), "s": 1}),
    case(
        seed_stack.init_bn_mlp_seeds, depth=1, width=3, seeds=SEEDS, d_in=2, classes=2
    ),
    case(
        bn_mlp.as_affine,
        make=lambda: {"fn": lambda X: X @ np.ones((2, 3)) + 1.0, "d_in": 2},
    ),
    case(bn_mlp.init_bn_mlp, depth=1, width=3, seed=0, d_in=2, classes=2),
    case(
        bn_mlp.preactivations,
        make=lambda: {
            "X": _x((4, 2)),
            "params": bn_mlp.init_bn_mlp(1, 3),
            "activation": "sign",
        },
    ),
    case(
        bn_mlp.train_bn_mlp,
        make=lambda: {
            "activation": "relu",
            "depth": 1,
            "width": 3,
            "steps": 2,
            "lr": 0.1,
            "seed": 0,
            "data": tuple(spirals(8, 0.1, 0)),
            "momentum": 0.9,
        },
    ),
    case(
        bn_mlp.train_linear_classifier,
        make=lambda: {"data": tuple(spirals(8, 0.1, 0)), "steps": 2, "lr": 0.5},
    ),
    case(study.depths_of, name="relu"),
    case(
        study.difference_by_depth,
        make=lambda: {"study": FAKE, "a": "relu", "b": "min0", "what": "acc"},
    ),
    case(study.versus_linear, make=lambda: {"study": FAKE, "name": "sigmoid"}),
    case(study.learns, make=lambda: {"study": FAKE, "name": "relu"}),
    case(study.slower, make=lambda: {"study": FAKE, "a": "relu", "b": "sigmoid"}),
    case(study.single, make=lambda: {"h": FAKE.runs["relu", 5], "s": 1}),
    case(
        study.perturbed,
        make=lambda: {"params": _params(), "rel": 1e-3, "seed": 0},
    ),
    case(study.run_study, seeds=SEEDS, perturb=0.0),
    case(mechanism.profile, name="sigmoid", depth=2, seeds=SEEDS, width=3),
]
EXEMPT = {
    "nnlab.p2_activations.seed_stack.check_seed_params": "params is a list of "
    f"layer dicts, {NOT_SPOILT}; every batched entry point calls it",
    "nnlab.p2_activations.seed_stack.stack_params": f"nets is a list of networks, "
    f"{NOT_SPOILT}; it checks each with nnlab.mlp.check_params",
    "nnlab.p2_activations.seed_stack.stack_splits": f"splits is a list of Splits, "
    f"{NOT_SPOILT}; it checks each with nnlab.data.check_split",
    "nnlab.p2_activations.bn_mlp.min0_to_relu": f"params is a list of layer dicts, "
    f"{NOT_SPOILT}; it calls nnlab.mlp.check_params",
    "nnlab.p2_activations.study.seed_spirals": f"seeds is a tuple of ints, "
    f"{NOT_SPOILT}; each goes through check_int",
    "nnlab.p2_activations.study.mean_loss": f"h is a SeedHistory record, "
    f"{NOT_SPOILT}; its type is checked",
    "nnlab.p2_activations.study.ranking": f"study is an ActivationStudy record, "
    f"{NOT_SPOILT}; its type is checked",
}
