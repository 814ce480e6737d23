"""Run a CNN given as a list of layer specs with the `nnlab.layers` kernels.

Forward and backward; `measure` reads its shapes, parameter counts and GEMM
sizes off a real run, to compare with `nnlab.p1_cnn.summary.layer_table`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.layers import (
    ConvCache,
    conv2d_backward,
    conv2d_forward,
    maxpool_backward,
    maxpool_forward,
    relu_backward,
    relu_forward,
)
from nnlab.p1_cnn.geometry import (
    check_input_shape,
    check_layers,
    output_shapes,
)
from nnlab.p1_cnn.specs import AvgPool, Conv, MaxPool, ReLU
from nnlab.validate import check_array, check_choice, check_dout, check_int

POOLS = ("max", "avg")
RUNNABLE = (
    "Conv (square kernel, equal strides, the same padding on every side, "
    "no dilation or groups), ReLU, and MaxPool/AvgPool without padding or ceil_mode"
)


def check_runnable(layers) -> list:
    """Return `layers` after checking the `nnlab.layers` kernels can run them.

    Raises
    ------
    TypeError
        As `nnlab.p1_cnn.geometry.check_layers`.
    ValueError
        Naming the first row the kernels cannot run, and what they run
        (`RUNNABLE`); the table (`nnlab.p1_cnn.summary.layer_table`) takes
        every spec.
    """
    layers = check_layers(layers)
    for i, spec in enumerate(layers):
        ok = isinstance(spec, ReLU)
        if isinstance(spec, Conv | MaxPool | AvgPool):
            (kh, kw), (sh, sw) = spec.kernel_hw, spec.stride_hw
            pads = spec.pads
            ok = kh == kw and sh == sw and pads != "same" and len(set(pads)) == 1
            if isinstance(spec, Conv):
                ok = ok and spec.dilation_hw == (1, 1) and spec.groups == 1
            else:
                ok = ok and pads == (0, 0, 0, 0) and not spec.ceil_mode
        if not ok:
            raise ValueError(
                f"row {i + 1} ({spec.name}): the numpy kernels run only {RUNNABLE}"
            )
    return layers


def _kernel(spec) -> tuple[int, int, int]:
    """(K, stride, pad) of a runnable Conv or pool."""
    return spec.kernel_hw[0], spec.stride_hw[0], spec.pads[0]


def init_network(
    layers, input_shape, seed: int = 0, positive: bool = False, dtype=np.float64
) -> list:
    r"""Weights ``(K, K, C, F)`` and biases ``(F,)`` for every Conv, else None.

    Parameters
    ----------
    layers : list of specs the kernels run (`check_runnable`)
    input_shape : (H, W, C) tuple of int
    seed : int
        Seeds ``np.random.default_rng``, >= 0.
    positive : bool
        He-normal weights and zero biases when False,

        .. math::
            w \sim \mathcal{N}\left(0, \frac{2}{K^2 C}\right);

        with True, ``U(0.5, 1.5) / (K^2 C)`` instead, so that no sum of
        products can cancel (used to measure receptive fields).
    dtype : floating numpy dtype

    Returns
    -------
    params : list
        One entry a layer: ``(w, b)`` for a Conv, None otherwise.

    Raises
    ------
    TypeError, ValueError
        As `check_runnable` and `nnlab.p1_cnn.geometry.output_shapes`, or
        for a bad `seed` or a non-floating `dtype`.

    References
    ----------
    K. He, X. Zhang, S. Ren, J. Sun, "Delving deep into rectifiers", ICCV 2015.
    """
    layers = check_runnable(layers)
    shapes = [check_input_shape(input_shape)] + output_shapes(layers, input_shape)
    seed = check_int("seed", seed, 0)
    try:
        floating = np.issubdtype(np.dtype(dtype), np.floating)
    except TypeError:
        floating = False
    if not floating:
        raise TypeError(f"dtype must be a floating numpy dtype, got {dtype!r}")
    rng = np.random.default_rng(seed)
    params = []
    for spec, (_, _, C) in zip(layers, shapes, strict=False):
        if not isinstance(spec, Conv):
            params.append(None)
            continue
        K = spec.kernel_hw[0]
        size = (K, K, C, spec.filters)
        fan_in = K * K * C
        if positive:
            w = rng.uniform(0.5, 1.5, size) / fan_in
        else:
            w = rng.standard_normal(size) * np.sqrt(2.0 / fan_in)
        params.append((w.astype(dtype), np.zeros(spec.filters, dtype=dtype)))
    return params


def _avgpool_weights(size: int, C: int, dtype) -> np.ndarray:
    """(size, size, C, C) weights that average each channel on its own."""
    return np.einsum(
        "pq,cf->pqcf", np.full((size, size), 1.0 / size**2), np.eye(C)
    ).astype(dtype)


class NetworkCache(NamedTuple):
    """What `network_backward` needs from `network_forward`.

    ``outs[i]`` is the output of row ``i + 1`` (``layers[i]``) and
    ``caches[i]`` its kernel's cache (None for a ReLU run as the identity);
    ``pool`` is the routing used.
    """

    layers: list
    pool: str
    outs: list
    caches: list

    def upto(self, row: int) -> NetworkCache:
        """Return the cache of rows 1 to `row` alone (row 0 is the input).

        `network_backward` given it back-propagates a gradient injected at
        that row's output, ``outs[row - 1]``, with no second forward pass.
        """
        row = check_int("row", row, 1)
        if row > len(self.layers):
            raise ValueError(f"row must be in [1, {len(self.layers)}], got {row}")
        k = row
        return NetworkCache(self.layers[:k], self.pool, self.outs[:k], self.caches[:k])


def _check_params(params, layers) -> None:
    if not isinstance(params, list | tuple):
        raise TypeError(
            f"params must be a list from init_network, got {type(params).__name__}"
        )
    if len(params) != len(layers):
        raise ValueError(
            f"params has {len(params)} entries for {len(layers)} layers; "
            "one entry a layer, None for layers without weights"
        )
    for i, (spec, p) in enumerate(zip(layers, params, strict=True)):
        if isinstance(spec, Conv) and not (isinstance(p, tuple) and len(p) == 2):
            raise TypeError(
                f"params[{i}] must be a pair (w, b) for row {i + 1} ({spec.name}), "
                f"got {type(p).__name__}"
            )


def network_forward(x, layers, params, relu: bool = True, pool: str = "max"):
    """Run the network on x with the `nnlab.layers` kernels.

    Parameters
    ----------
    x : (N, H, W, C) ndarray
    layers : list of specs the kernels run (`check_runnable`)
        At least one.
    params : list
        From `init_network`: ``(w, b)`` for a Conv, None for other layers.
    relu : bool
        False makes every ReLU the identity (a linear network).
    pool : {"max", "avg"}
        "avg" runs each MaxPool's window as an average (a fixed per-channel
        convolution), whose gradient reaches every input of the window.

    Returns
    -------
    out : (N, H_L, W_L, C_L) ndarray
        The last layer's output.
    cache : NetworkCache
        ``(layers, pool, outs, caches)``; ``outs[i]`` holds row
        ``i + 1``'s output, ``cache.upto(row)`` the cache up to that row.

    Raises
    ------
    TypeError, ValueError
        As `check_runnable`, `nnlab.validate` and the
        kernels, or if `params` does not match `layers`.
    """
    check_array("x", x, 4, "(N, H, W, C)")
    layers = check_runnable(layers)
    if not layers:
        raise ValueError("layers must hold at least one layer spec, got []")
    _check_params(params, layers)
    pool = check_choice("pool", pool, POOLS)
    outs, caches = [], []
    for spec, p in zip(layers, params, strict=True):
        if isinstance(spec, ReLU):
            x, cache = relu_forward(x) if relu else (x, None)
            outs.append(x)
            caches.append(cache)
            continue
        K, stride, pad = _kernel(spec)
        if isinstance(spec, Conv):
            x, cache = conv2d_forward(x, *p, stride=stride, pad=pad)
        elif isinstance(spec, MaxPool) and pool == "max":
            x, cache = maxpool_forward(x, K, stride)
        else:
            C = x.shape[3]
            w = _avgpool_weights(K, C, x.dtype)
            x, cache = conv2d_forward(x, w, np.zeros(C, x.dtype), stride, pad=0)
        outs.append(x)
        caches.append(cache)
    return x, NetworkCache(layers, pool, outs, caches)


def network_backward(dout, cache: NetworkCache):
    """Backward pass of `network_forward`.

    Parameters
    ----------
    dout : (N, H_L, W_L, C_L) ndarray
        Gradient of the loss with respect to the network's output. To inject
        a gradient at row r's output instead, pass ``cache.upto(r)``; a
        loss that reads several layers is the sum of one sweep per layer.
    cache : NetworkCache
        From `network_forward`, or its `NetworkCache.upto`.

    Returns
    -------
    dx : (N, H, W, C) ndarray
    dparams : list
        Shaped like params: ``(dw, db)`` for a Conv, None for other layers
        (average-pool routing has fixed weights, not parameters).

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of the output's shape.
    """
    layers, pool, outs, caches = cache
    check_dout(dout, outs[-1].shape)
    dparams = [None] * len(layers)
    grad = dout
    for k in range(len(layers) - 1, -1, -1):
        spec, c = layers[k], caches[k]
        if isinstance(spec, Conv):
            grad, dw, db = conv2d_backward(grad, c)
            dparams[k] = (dw, db)
        elif isinstance(spec, AvgPool) or (isinstance(spec, MaxPool) and pool == "avg"):
            grad = conv2d_backward(grad, c)[0]
        elif isinstance(spec, ReLU):
            grad = grad if c is None else relu_backward(grad, c)
        else:
            grad = maxpool_backward(grad, c)
    return grad, dparams


class Measured(NamedTuple):
    """What running the kernels says about one layer (per image).

    ``gemm`` is ``(m, k, n)`` of the ``(m, k) @ (k, n)`` product a conv
    performed, ``None`` for layers without one.
    """

    shape: tuple[int, int, int]
    params: int
    gemm: tuple[int, int, int] | None

    @property
    def gemm_flops(self) -> int:
        """``2 m k n``: one multiply and one add per term, 0 without a GEMM."""
        return (
            0 if self.gemm is None else 2 * self.gemm[0] * self.gemm[1] * self.gemm[2]
        )


def measure(layers, input_shape, seed: int = 0) -> list[Measured]:
    """Output shapes, weight-array sizes and GEMM sizes from a real run.

    Runs one image through the kernels. ``params`` is the size of the
    arrays `init_network` allocates; ``gemm`` the shape of the im2col product
    read off the conv cache (``cols`` and ``w``).

    Parameters
    ----------
    layers : list of specs the kernels run (`check_runnable`)
    input_shape : (H, W, C) tuple of int
    seed : int
        Seeds the weights and the image, >= 0.

    Returns
    -------
    list of Measured, one per layer

    Raises
    ------
    TypeError, ValueError
        As `init_network`.
    """
    params = init_network(layers, input_shape, seed)
    x = np.random.default_rng(seed).standard_normal((1, *input_shape))
    _, net = network_forward(x, layers, params)
    rows = []
    for spec, out, p, cache in zip(layers, net.outs, params, net.caches, strict=True):
        n_params = 0 if p is None else p[0].size + p[1].size * spec.bias
        gemm = None
        if isinstance(cache, ConvCache):
            (m, k), n = cache.cols.shape, cache.w.shape[3]
            gemm = (m, k, n)
        rows.append(Measured(out.shape[1:], n_params, gemm))
    return rows
