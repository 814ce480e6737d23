"""Problem 2's seed study: verdict rules by hand, and portability of its output."""

import numpy as np
import pytest

from nnlab.mlp import mlp_forward
from nnlab.p2_activations import study
from nnlab.p2_activations.batched import SeedHistory, forward_seeds

ACC = {  # made-up test accuracies, 5 seeds
    "relu": [0.97, 0.96, 0.98, 0.97, 0.96],
    "min0": [0.96, 0.97, 0.97, 0.98, 0.96],
    "sigmoid": [0.95, 0.60, 0.96, 0.94, 0.95],
    "linear": [0.55, 0.50, 0.47, 0.55, 0.60],
    "shifted_relu": [0.5] * 5,
    "sign": [0.51, 0.53, 0.47, 0.52, 0.55],
}
LINEAR = [0.55, 0.50, 0.47, 0.55, 0.60]
LOSS = {  # mean training loss per seed
    "relu": [0.05, 0.07, 0.07, 0.05, 0.05],
    "min0": [0.05, 0.06, 0.07, 0.06, 0.05],
    "sigmoid": [0.28, 0.31, 0.25, 0.27, 0.22],
    "linear": [0.58, 0.61, 0.59, 0.58, 0.58],
    "shifted_relu": [0.69] * 5,
    "sign": [0.64, 0.64, 0.65, 0.62, 0.61],
}


def _fake_study():
    runs = {}
    for name in study.NAMES:
        for d in study.depths_of(name):
            loss = np.tile(np.array(LOSS[name]), (3, 1))  # (steps, S), constant
            acc = np.array(ACC[name])
            runs[name, d] = SeedHistory(loss, None, acc, acc, None, None)
    return study.ActivationStudy(runs, np.array(LINEAR), (0, 1, 2, 3, 4))


def test_verdict_rules_on_hand_made_statistics():
    st = _fake_study()
    # sigmoid - linear, paired: differences 0.40 0.10 0.49 0.39 0.35, mean
    # 0.346; squared deviations sum to 0.08612, sd sqrt(0.08612 / 4) = 0.1467,
    # se 0.1467 / sqrt(5) = 0.0656: 5.3 se, above the 2 se bar
    assert study.learns(st, "sigmoid")
    c = study.versus_linear(st, "sigmoid")[5]
    assert c.mean == pytest.approx(0.346) and c.se == pytest.approx(0.0656, abs=1e-4)
    # x/sqrt(2) equals the linear classifier: difference 0, se 0, a tie
    assert not study.learns(st, "linear")
    # ReLU(x-10) is below it (mean -0.034) and sign at -0.02: neither learns
    assert not study.learns(st, "shifted_relu") and not study.learns(st, "sign")
    # loss: sigmoid - relu differences 0.23 0.24 0.18 0.22 0.17, far beyond
    # 2 se; relu - min0 differences 0 .01 0 -.01 0, mean 0: a tie
    assert study.slower(st, "sigmoid", "relu") and study.slower(st, "sigmoid", "min0")
    assert not study.slower(st, "relu", "min0") and not study.slower(st, "min0", "relu")
    groups, rest = study.ranking(st)
    assert groups == [["relu", "min0"], ["sigmoid"]]
    assert rest == ["linear", "shifted_relu", "sign"]


def test_paired_compares_only_shared_depths_and_names_bad_input():
    st = _fake_study()
    assert list(study.difference_by_depth(st, "sigmoid", "relu")) == list(study.DEPTHS)
    assert list(study.difference_by_depth(st, "sign", "relu", "acc")) == [
        study.DEPTHS[0]
    ]
    with pytest.raises(
        ValueError, match="what must be one of 'loss', 'acc', got 'speed'"
    ):
        study.difference_by_depth(st, "sign", "relu", "speed")
    with pytest.raises(
        ValueError, match=r"seeds must hold at least 2 seeds, got \(3,\)"
    ):
        study.run_study((3,))


def test_single_seed_network_evaluates_as_the_batched_one():
    h = study.run_study().runs["relu", study.DEPTHS[0]]
    X = study.seed_spirals((2,))[0].X_test
    params, running = study.single(h, 2)
    one, _, _ = mlp_forward(X, params, "relu", running, train=False)
    params_b = [{k: v[2:3] for k, v in layer.items()} for layer in h.params]
    run_b = [(m[2:3], v[2:3]) for m, v in h.running]
    batched, _, _ = forward_seeds(X[None], params_b, "relu", running=run_b)
    # the same formulas through a 2-D and a batched product: a few ulps apart
    np.testing.assert_allclose(one, batched[0], rtol=1e-12, atol=1e-12)


def _printed(st):
    # what the notebook's compared cells print from the runs: verdicts, and
    # the digits of the settings that are not chaotic
    groups, rest = study.ranking(st)
    lines = [repr(groups), repr(rest)]
    for (name, d), h in st.runs.items():
        lines.append(f"{name} {d} learns {study.learns(st, name)}")
        if name not in study.CHAOTIC:
            lines.append(
                f"{h.test_acc.mean():.3f} {h.test_acc.std(ddof=1):.3f} "
                f"{h.train_acc.mean():.3f} {study.mean_loss(h).mean():.3f} "
                f"{h.loss[-1].mean():.3f}"
            )
            c = study.versus_linear(st, name)[d]
            lines.append(f"{c.mean:+.3f} {c.se:.3f}")
    for a, b in (("relu", "min0"), ("sigmoid", "relu"), ("sigmoid", "min0")):
        lines.append(f"{study.slower(st, a, b)} {study.slower(st, b, a)}")
    for d, c in study.difference_by_depth(st, "relu", "min0", "loss").items():
        lines.append(f"{d} {c.mean:+.4f} {c.se:.4f}")
    for d, c in study.difference_by_depth(st, "min0", "relu", "acc").items():
        lines.append(f"{d} {c.mean:+.3f} {c.se:.3f} {c.sign()}")
    return lines


def test_the_printed_results_survive_a_few_ulps_of_the_start():
    # Portability guard: another BLAS kernel changes products in their last
    # bits. A relative change of 1e-15 (about 4.5 ulps) of every starting
    # weight must leave every compared line of the notebook as it was; the
    # sigmoid's digits are excluded (chaotic: its final accuracy moves by up
    # to 0.2), its verdicts are not.
    assert _printed(study.run_study()) == _printed(study.run_study(perturb=1e-15))


def test_one_cache_entry_however_the_seeds_are_spelled():
    # the notebook and its figures must share one set of runs, not train twice
    first = study.run_study()
    assert study.run_study(study.SEEDS) is first
    assert study.run_study(list(study.SEEDS), perturb=0) is first
