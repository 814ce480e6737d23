"""Valid calls of `nnlab.p4_seqnorm` for the bad-input test (see test_bad_input).

The figures module is not covered (see test_bad_input). A `RunningStats`
argument is never spoilt: the harness would build an empty one with
``type(value)()``, which a NamedTuple refuses before the call.
"""

import numpy as np

from badinput import case
from nnlab.norm import RunningStats
from nnlab.p4_seqnorm import (
    layernorm,
    leakage,
    nextstep,
    predictor,
    seqnorm,
    stream,
    verdicts,
)

PARAMS = {"params": leakage.PARAM_NAMES}


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _one_model(seed=3):
    """Weights of one next-step model, D_in = 5, Hd = 3."""
    return [_x((5, 3), seed), _x(3, seed + 1), _x(3, seed + 2), _x((3, 1), seed + 3),
            _x(1, seed + 4)]  # fmt: skip


def _seqnorm_backward(causal):
    def make():
        _, cache = seqnorm.seqnorm_forward(
            _x((2, 4, 3)), _x(3, 1), _x(3, 2), causal=causal
        )
        return {"dout": _x((2, 4, 3), 3), "cache": cache}

    return make


def _running_eval():
    return {
        "x": _x((2, 4, 3)),
        "gamma": _x(3, 1),
        "beta": _x(3, 2),
        "eps": 1e-5,
        "momentum": 0.9,
        "running": RunningStats(_x(3, 5), 0.5 + _x(3, 6) ** 2),
        "train": False,
    }


def _layernorm_backward():
    _, cache = layernorm.layernorm_forward(_x((2, 4, 3)), _x(3, 1), _x(3, 2))
    return {"dout": _x((2, 4, 3), 3), "cache": cache}


def _seeds_model():
    return {
        "x": _x((2, 3, 4, 5)),
        "params": [_x((2,) + p.shape, i) for i, p in enumerate(_one_model())],
        "norm": "causal",
        "eps": 1e-3,
    }


def _predictor_backward():
    _, cache = predictor.forward(**_seeds_model())
    return {"dout": _x((2, 3, 4, 1), 9), "cache": cache}


def _adam():
    params = [_x((2, 3), 1), _x(3, 2)]
    return {
        "params": params,
        "grads": [_x(p.shape, 3) for p in params],
        "m": [np.zeros_like(p) for p in params],
        "v": [np.zeros_like(p) for p in params],
        "it": 0,
        "lr": 0.01,
    }


CASES = [
    case(seqnorm.prefix_moments, x=_x((2, 5, 3)), method="welford"),
    case(
        seqnorm.seqnorm_forward,
        x=_x((2, 4, 3)),
        gamma=_x(3, 1),
        beta=_x(3, 2),
        eps=1e-5,
        causal=False,
    ),
    case(
        seqnorm.seqnorm_forward,
        x=_x((4, 3)),
        gamma=_x(3, 1),
        beta=_x(3, 2),
        eps=1e-5,
        causal=True,
        id="nnlab.p4_seqnorm.seqnorm.seqnorm_forward (causal)",
    ),
    case(seqnorm.seqnorm_backward, make=_seqnorm_backward(False), spoil=("dout",)),
    case(
        seqnorm.seqnorm_backward,
        make=_seqnorm_backward(True),
        spoil=("dout",),
        id="nnlab.p4_seqnorm.seqnorm.seqnorm_backward (causal)",
    ),
    case(
        seqnorm.seqnorm_running_forward,
        x=_x((2, 4, 3)),
        gamma=_x(3, 1),
        beta=_x(3, 2),
        eps=1e-5,
        momentum=0.9,
        running=None,
        train=True,
    ),
    case(
        seqnorm.seqnorm_running_forward,
        make=_running_eval,
        spoil=("x", "gamma", "beta", "eps", "momentum"),
        id="nnlab.p4_seqnorm.seqnorm.seqnorm_running_forward (eval)",
    ),
    case(
        layernorm.layernorm_forward,
        x=_x((2, 4, 3)),
        gamma=_x(3, 1),
        beta=_x(3, 2),
        eps=1e-5,
    ),
    case(layernorm.layernorm_backward, make=_layernorm_backward, spoil=("dout",)),
    case(
        leakage.check_nextstep_params,
        make=lambda: {"params": _one_model(), "D_in": 5},
        aliases=PARAMS,
    ),
    case(leakage.time_jacobian, x=_x((4, 2)), norm="causal", eps=1e-5),
    case(leakage.running_gap, T=3, data="iid", n=2, batches=2, seed=0),
    case(leakage.next_step_data, n=2, T=3, seed=0),
    case(
        leakage.predict_next,
        make=lambda: {
            "x": _x((2, 4, 5)),
            "params": _one_model(),
            "norm": "full",
            "eps": 1e-5,
        },
        aliases=PARAMS,
    ),
    case(
        leakage.stream_predict,
        make=lambda: {
            "x": _x((2, 4, 5)),
            "params": _one_model(),
            "norm": "full",
            "eps": 1e-5,
        },
        aliases=PARAMS,
    ),
    case(predictor.next_step_data_by_seed, seeds=2, n=2, T=3, held_out=False),
    case(predictor.init_nextstep, seeds=2, D_in=5, Hd=3),
    case(predictor.forward, make=_seeds_model, aliases=PARAMS),
    case(predictor.backward, make=_predictor_backward, spoil=("dout",)),
    case(predictor.stream_forward, make=_seeds_model, aliases=PARAMS),
    case(predictor.adam_step, make=_adam),
    case(
        nextstep.train_seeds,
        norm="full",
        seeds=1,
        T=2,
        steps=2,
        n=2,
        lr=0.03,
        perturb=0.0,
        eps=1e-3,
    ),
    case(verdicts.sees_future, norm="full", T=3, D=2),
    # one seed of the notebook's settings: about 0.1 s a normalization
    case(nextstep.leak_study, seeds=1, perturb=0.0),
]
EXEMPT = {
    "nnlab.p4_seqnorm.verdicts.below_bound": (
        "its one argument is a SeedRuns record made by nextstep.train_seeds "
        "(a type check refuses anything else); nothing in it for the harness to spoil"
    ),
    "nnlab.p4_seqnorm.verdicts.verdicts": (
        "its one argument is a LeakStudy record made by nextstep.leak_study "
        "(a type check refuses anything else); nothing in it for the harness to spoil"
    ),
}


def _stream_state():
    return {
        "x_t": _x((2, 3)),
        "gamma": _x(3, 1),
        "beta": _x(3, 2),
        "state": stream.stream_step(_x((2, 3), 4), _x(3, 1), _x(3, 2))[1],
        "eps": 1e-5,
    }


def _ema_state():
    return {
        "x_t": _x(3),
        "gamma": _x(3, 1),
        "beta": _x(3, 2),
        "state": stream.ema_step(_x(3, 4), _x(3, 1), _x(3, 2))[1],
        "momentum": 0.9,
        "eps": 1e-5,
    }


CASES += [
    case(stream.stream_step, make=_stream_state, spoil=("x_t", "gamma", "beta", "eps")),
    case(stream.ema_step, make=_ema_state, spoil=("x_t", "gamma", "beta", "momentum")),
    case(
        stream.stream_sequence,
        x=_x((2, 4, 3)),
        gamma=_x(3, 1),
        beta=_x(3, 2),
        momentum=0.9,
        eps=1e-5,
    ),
    case(stream.drift_tradeoff, data="jump", T=8, n=2, momentum=0.9, jump=5.0, seed=0),
]
