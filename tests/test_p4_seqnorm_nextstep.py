"""The next-step predictor trained on many seeds (notebook 4): the batched
model against the one-model reference, its gradients, the conclusions over
seeds, and that the printed statistics do not move when the start moves by a
few ulps."""

import numpy as np
import pytest

from nnlab.gradcheck import check_pair
from nnlab.norm import RunningStats
from nnlab.p4_seqnorm.leakage import (
    NORMS,
    next_step_data,
    predict_next,
    stream_predict,
)
from nnlab.p4_seqnorm.nextstep import (
    _running_eval,
    _running_update,
    leak_study,
    train_seeds,
)
from nnlab.p4_seqnorm.predictor import (
    EPS,
    adam_step,
    backward,
    forward,
    init_nextstep,
    next_step_data_by_seed,
    stream_forward,
)
from nnlab.p4_seqnorm.seqnorm import seqnorm_running_forward
from nnlab.p4_seqnorm.verdicts import below_bound, sees_future, verdicts
from nnlab.stats import pm, summarize


def small_model(seed=0, S=2, n=3, T=4, H=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((S, n, T, 5))
    params = [
        rng.standard_normal((S, 5, H)),
        rng.standard_normal((S, H)),
        rng.standard_normal((S, H)),
        rng.standard_normal((S, H, 1)),
        rng.standard_normal((S, 1)),
    ]
    return x, params


@pytest.mark.parametrize("norm", NORMS)
def test_batched_forward_is_the_one_model_forward_of_every_seed(norm):
    x, params = small_model()
    pred = forward(x, params, norm)[0]
    stream = stream_forward(x, params, norm)
    for s in range(2):
        own = [p[s] for p in params]
        # other matrix shapes sum in other orders: a few ulps of values ~10
        np.testing.assert_allclose(
            pred[s], predict_next(x[s], own, norm, EPS)[0], rtol=0, atol=1e-12
        )
        np.testing.assert_allclose(
            stream[s], stream_predict(x[s], own, norm, EPS), rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("norm", NORMS)
def test_backward_matches_finite_differences(norm):
    x, params = small_model(seed=1)
    dout = np.random.default_rng(2).standard_normal((2, 3, 4, 1))

    def pair_forward(x, params):
        return forward(x, params, norm)

    errs = check_pair(pair_forward, backward, {"x": x, "params": params}, dout)
    assert len(errs) == 1 + len(params)
    for name, err in errs.items():
        # float64 centred differences, h = 1e-6: truncation ~1e-12 and
        # roundoff ~1e-10 relative; 1e-7 is the threshold of the kernels' checks.
        # dx has entries near 1e-5 (causal: an input feature at t = 0 reaches the
        # output only through the shift of later steps), where the quotient's
        # absolute roundoff, ~1e-16 |L| / h = 1e-10, is a 1e-5 relative error:
        # 1e-4 there (measured 1.5e-5; a wrong term gives 1e-2 or more).
        assert err < (1e-4 if name == "x" else 1e-7), name


def test_first_adam_step_by_hand():
    # At step 0, m = 0.1 g and v = 0.001 g**2; bias correction divides by
    # 0.1 and 0.001, so the step is lr * g / (|g| + 1e-8): about lr * sign(g).
    p, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -4.0, 0.0])
    new, m, v = adam_step([p], [g], [np.zeros(3)], [np.zeros(3)], 0, 0.1)
    expected = p - 0.1 * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(new[0], expected, rtol=1e-14)
    assert new[0][2] == 0.5  # a zero gradient does not move the weight
    np.testing.assert_allclose(m[0], 0.1 * g, rtol=1e-15)
    np.testing.assert_allclose(v[0], 0.001 * g * g, rtol=1e-15)


def test_seeds_have_their_own_data_and_weights():
    x, target = next_step_data_by_seed(3, 4, 6)
    held_x, _ = next_step_data_by_seed(3, 4, 6, held_out=True)
    for s in range(3):
        xs, ts = next_step_data(4, 6, s)
        assert np.array_equal(x[s], xs) and np.array_equal(target[s], ts)
        assert np.array_equal(held_x[s], next_step_data(4, 6, 1000 + s)[0])
    W = init_nextstep(3)[0]
    assert W.shape == (3, 5, 8)
    assert not np.array_equal(W[0], W[1])
    # seed 0 of a batch of 3 is seed 0 of a batch of 1
    assert np.array_equal(W[0], init_nextstep(1)[0][0])


def test_running_estimates_are_those_of_each_seed_alone():
    x, params = small_model(seed=3)
    running = _running_update(None, params, x, EPS)
    running = _running_update(running, params, 1.5 * x, EPS)
    pred = _running_eval(params, x, running, EPS)
    H = params[0].shape[-1]
    for s in range(2):
        own = None
        for scale in (1.0, 1.5):
            h = scale * x[s] @ params[0][s]
            ones, zeros = np.ones(H), np.zeros(H)
            own = seqnorm_running_forward(h, ones, zeros, EPS, running=own)[2]
        assert isinstance(own, RunningStats)
        # per-seed means over other array layouts: a few ulps
        np.testing.assert_allclose(
            running.mean[s * H : (s + 1) * H], own.mean, rtol=1e-13
        )
        a = seqnorm_running_forward(
            x[s] @ params[0][s], params[1][s], params[2][s], EPS, running=own,
            train=False,
        )[0]  # fmt: skip
        np.testing.assert_allclose(
            pred[s], a @ params[3][s] + params[4][s], rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("norm", NORMS)
def test_batching_seeds_does_not_change_a_seed(norm):
    # Seed 0 trained alone and beside seed 1: matrix products of other shapes
    # give last-bit differences, which a non-chaotic training keeps at the
    # roundoff level (1e-12 relative is a thousand times that).
    one = train_seeds(norm, 1, steps=30, n=32)
    two = train_seeds(norm, 2, steps=30, n=32)
    for field in ("train_loss", "test_loss", "stream_loss"):
        np.testing.assert_allclose(
            getattr(one, field)[0], getattr(two, field)[0], rtol=1e-12
        )


def test_only_full_statistics_beat_the_bound_on_the_seeds():
    study = leak_study()
    assert study.full.test_loss.size >= 5
    # no model of the past can expect less than predicting 0 (Var(u) = 1)
    assert below_bound(study.full).below()
    assert np.all(study.full.test_loss < study.full.bound)
    assert np.all(study.full.stream_loss > study.full.bound)
    for run in (study.causal, study.layer):
        assert not below_bound(run).below()
        np.testing.assert_allclose(run.stream_loss, run.test_loss, rtol=1e-12)
    got = [(v.setting, v.usable, v.confirmed) for v in verdicts(study)]
    assert got == [
        ("encoder, full statistics", True, True),
        ("decoder, full statistics", False, True),
        ("decoder, causal statistics", True, True),
    ]


def test_jacobian_mechanism_counts():
    # T = 8 has 8 * 7 / 2 = 28 entries above the diagonal
    assert sees_future("full") == (28, 28)
    assert sees_future("causal") == (0, 28)
    assert sees_future("layer") == (0, 28)


def printed(study):
    """Every statistic notebook 4 prints from the study, formatted as there."""
    lines = []
    for run in study:
        for field in ("train_loss", "test_loss", "stream_loss", "bound", "train_bound"):
            lines.append(pm(summarize(getattr(run, field))))
            lines.append(pm(summarize(getattr(run, field) - run.bound), sign=True))
        d = below_bound(run)
        lines.append(f"{d.mean:+.3f} {d.interval()[0]:+.3f} {d.interval()[1]:+.3f}")
        gap = summarize(run.test_loss - run.train_loss)
        lines.append(pm(gap, 3, "se", sign=True))
    lines.append(pm(summarize(study.full.running_loss)))
    lines.append(pm(summarize(study.full.stream_loss / study.full.bound), 1))
    lines += [str(v) for v in verdicts(study)]
    return lines


def test_printed_statistics_survive_a_few_ulps_of_the_start():
    # Another BLAS kernel changes the last bits of every product. Scaling
    # every initial weight by 1 + 4.4e-16 (2 ulps of 1) stands in for it:
    # the losses must move by roundoff only, and nothing printed may change.
    base, moved = leak_study(), leak_study(perturb=4.4e-16)
    for a, b in zip(base, moved, strict=True):
        assert not np.array_equal(a.losses, b.losses)  # the change took effect
        for field in ("train_loss", "test_loss", "stream_loss"):
            shift = np.abs(getattr(a, field) - getattr(b, field)).max()
            assert shift < 1e-12, (a.norm, field, shift)
    assert printed(base) == printed(moved)


def test_bad_input_messages():
    with pytest.raises(
        ValueError, match=r"norm must be one of 'full', 'causal', 'layer', got 'batch'"
    ):
        train_seeds("batch")
    with pytest.raises(ValueError, match=r"seeds must be an integer >= 1, got 0"):
        train_seeds("full", 0)
    with pytest.raises(TypeError, match=r"steps must be an integer, got float 2.5"):
        train_seeds("full", 2, steps=2.5)


def test_unknown_norm_is_refused_by_every_entry_point():
    params = init_nextstep(1)
    x, _ = next_step_data_by_seed(1, 2, 4)
    message = r"norm must be one of 'full', 'causal', 'layer', got 'Full'"
    with pytest.raises(ValueError, match=message):
        forward(x, params, "Full")
    with pytest.raises(ValueError, match=message):
        stream_forward(x, params, "Full")


def test_full_norm_refuses_sequences_of_one_step():
    # "full" tracks running estimates, which one step a sequence would give
    # variance 0; the other normalizations learn no statistics and may run
    with pytest.raises(
        ValueError, match=r"T must be >= 2 with norm='full', got T=1: its running"
    ):
        train_seeds("full", 1, T=1, steps=1, n=2)
    runs = train_seeds("layer", 1, T=1, steps=1, n=2)
    assert runs.test_loss.shape == (1,)
