"""The matmul-counting hook: counts against hand counts and a brute-force count
of every product, its reach into nested calls, dicts and caches, results left
unchanged, and the refusal of products it cannot see."""

import numpy as np
import pytest

from nnlab.flops import FlopLog, conv2d_flops, count_flops
from nnlab.layers import conv2d_forward


def brute_force(a, b):
    """(performed, nonzero) of a @ b, by listing every product a[i, l] b[l, j]."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    terms = (a2[..., :, :, None] != 0) & (b2[..., None, :, :] != 0)  # (..., m, k, n)
    return 2 * terms.size, 2 * int(terms.sum())


@pytest.mark.parametrize("MKP", [(1, 1, 1), (3, 5, 2), (7, 4, 9)], ids=str)
def test_plain_product_is_2_M_K_P(MKP):
    M, K, P = MKP
    rng = np.random.default_rng(sum(MKP))
    a, b = rng.standard_normal((M, K)), rng.standard_normal((K, P))
    _, log = count_flops(lambda p, q: p @ q, a, b)
    assert log == FlopLog(calls=1, performed=2 * M * K * P, nonzero=2 * M * K * P)


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [
        ((4,), (4,)),  # vector . vector
        ((3,), (3, 5)),  # vector @ matrix
        ((2, 3, 4), (4,)),  # batch @ vector
        ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dimensions
        ((6, 1), (1, 6)),  # outer product through matmul
    ],
    ids=str,
)
def test_counts_equal_a_brute_force_count_of_products(a_shape, b_shape):
    rng = np.random.default_rng(len(a_shape) + len(b_shape))
    # about half of the entries zero, so that nonzero < performed
    a = rng.standard_normal(a_shape) * (rng.random(a_shape) < 0.5)
    b = rng.standard_normal(b_shape) * (rng.random(b_shape) < 0.5)
    _, log = count_flops(lambda p, q: p @ q, a, b)
    assert (log.calls, (log.performed, log.nonzero)) == (1, brute_force(a, b))


def test_matmul_counter_by_hand():
    a = np.ones((4, 3, 5))
    b = np.ones((5, 2))
    b[1] = 0.0  # one of the five terms of every dot product vanishes
    (c,), log = count_flops(lambda p, q: (p @ q,), a, b)
    assert c.shape == (4, 3, 2)
    assert log == FlopLog(
        calls=1, performed=2 * 4 * 3 * 5 * 2, nonzero=2 * 4 * 3 * 4 * 2
    )
    _, log = count_flops(lambda v, m: v @ m, np.arange(3.0), np.ones((3, 2)))
    assert (log.performed, log.nonzero) == (12, 8)  # v[0] = 0
    # arrays reached only through a dict argument are counted too
    _, log = count_flops(lambda d: d["w"] @ d["w"], {"w": np.ones((2, 2))})
    assert log.performed == 16


def test_chained_products_add_up_and_stay_counted():
    M, K, P, Q = 2, 3, 4, 5
    a, b, c = np.ones((M, K)), np.ones((K, P)), np.ones((P, Q))
    # (a @ b) is derived from counted arrays, so the second product is
    # counted even though c is the only argument it names directly
    _, log = count_flops(lambda p, q, r: p @ q @ r, a, b, c)
    assert log == FlopLog(
        2, 2 * M * K * P + 2 * M * P * Q, 2 * M * K * P + 2 * M * P * Q
    )
    # a plain array on the left of a counted one is counted as well
    _, log = count_flops(lambda r: np.ones((M, P)) @ r, c)
    assert log.calls == 1 and log.performed == 2 * M * P * Q
    # ufuncs other than matmul, and an explicit out=, change nothing
    out = np.empty((M, P))
    _, log = count_flops(lambda p, q: np.matmul(p, q, out=out) + np.tanh(p).sum(), a, b)
    assert (log.calls, log.performed) == (1, 2 * M * K * P)


def test_a_cache_from_a_counted_call_counts_later_calls():
    w = np.ones((3, 3))
    # count_flops wraps arrays and dicts, not tuples: the arrays inside this
    # cache are counted only because they derive from a counted argument, as
    # the step caches inside a forward pass's NamedTuple cache do
    (h, cache), first = count_flops(lambda m: (m @ m, (m + 1.0, 2.0 * m)), w)
    _, second = count_flops(lambda c: c[0] @ c[1] @ c[1], cache)
    assert (first.calls, second.calls) == (1, 2)
    assert second.performed == 2 * (2 * 3 * 3 * 3)
    # outside any count, a counted view multiplies without being logged
    assert np.array_equal(np.asarray(h @ h), w @ w @ w @ w)


def test_a_count_inside_a_count_does_not_leak_outwards():
    inner_logs = []

    def outer(a):
        _, log = count_flops(lambda p: p @ p @ p, a)  # two products, inner only
        inner_logs.append(log)
        return a @ a  # one product, outer

    _, log = count_flops(outer, np.ones((2, 2)))
    assert inner_logs[0].calls == 2
    assert log.calls == 1 and log.performed == 16


def test_arrays_not_derived_from_an_argument_are_not_counted():
    _, log = count_flops(lambda a: np.ones((2, 2)) @ np.ones((2, 2)), np.ones(1))
    assert log == FlopLog(0, 0, 0)


def test_results_are_unchanged_by_counting():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 6))
    bias = rng.standard_normal(6)
    a_before, b_before = a.copy(), b.copy()

    def layer(x, p):
        return np.tanh(x @ p["w"] + p["b"]), x.sum(axis=0)

    plain = layer(a, {"w": b, "b": bias})
    (y, s), _ = count_flops(layer, a, {"w": b, "b": bias})
    assert np.array_equal(np.asarray(y), plain[0])
    assert np.array_equal(np.asarray(s), plain[1])
    assert type(np.asarray(y)) is np.ndarray
    # the arguments are only viewed: neither modified nor turned into views
    assert np.array_equal(a, a_before) and np.array_equal(b, b_before)
    assert type(a) is np.ndarray and type(b) is np.ndarray


def test_matmul_counter_refuses_what_it_cannot_see():
    with pytest.raises(TypeError, match="count_flops sees only matmul .*, got np.dot"):
        count_flops(np.dot, np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(TypeError, match="got np.einsum"):
        count_flops(lambda a: np.einsum("ij,jk", a, a), np.ones((2, 2)))


@pytest.mark.parametrize(
    "name", ["dot", "vdot", "inner", "outer", "tensordot", "einsum", "kron"]
)
def test_every_uncounted_product_is_refused_by_name(name):
    fn = getattr(np, name)
    if name == "einsum":
        fn = lambda a, b: np.einsum("ij,jk", a, b)  # noqa: E731
    with pytest.raises(
        TypeError, match=rf"^count_flops sees only matmul \(@\), got np\.{name}$"
    ):
        count_flops(fn, np.ones((2, 2)), np.ones((2, 2)))


def test_keyword_arrays_are_counted_and_fn_must_be_callable():
    _, log = count_flops(lambda p, q: p @ q, np.ones((2, 3)), q=np.ones((3, 4)))
    assert log.performed == 2 * 2 * 3 * 4
    _, log = count_flops(lambda p, q: p @ q, p=np.ones((2, 3)), q=np.ones((3, 4)))
    assert log.performed == 2 * 2 * 3 * 4
    with pytest.raises(TypeError, match="fn must be callable, got NoneType None"):
        count_flops(None, np.ones(2))


def test_conv2d_flops_equals_the_products_the_kernel_performs():
    # The formula against the matmuls conv2d_forward really performs (bias
    # is added, not multiplied, so it is not in either count).
    rng = np.random.default_rng(0)
    for N, H, W, C, F, K, stride, pad in [
        (2, 7, 6, 3, 4, 3, 1, 1),
        (1, 9, 9, 2, 5, 3, 2, 0),
        (3, 5, 5, 4, 2, 1, 1, 0),
    ]:
        x = rng.standard_normal((N, H, W, C))
        w = rng.standard_normal((K, K, C, F))
        (out, _), log = count_flops(conv2d_forward, x, w, np.zeros(F), stride, pad)
        _, H_out, W_out, _ = out.shape
        assert conv2d_flops(N, H_out, W_out, C, F, K) == log.performed


def test_conv2d_flops_vgg16_first_layer_matches_the_published_macs():
    # VGG-16 conv1_1 at 224x224: 3 -> 64 channels, 3x3, 'same'. torchvision
    # and thop report 86.7 M multiply-adds for it (224*224*64*27 =
    # 86,704,128); FLOPs count a multiply-add twice.
    assert conv2d_flops(1, 224, 224, 3, 64, 3) == 2 * 86_704_128


def test_conv2d_flops_refuses_bad_sizes_by_name():
    with pytest.raises(ValueError, match="^K must be an integer >= 1, got 0"):
        conv2d_flops(1, 4, 4, 3, 8, 0)
    with pytest.raises(TypeError, match="^H_out must be an integer, got float"):
        conv2d_flops(1, 4.0, 4, 3, 8, 3)
