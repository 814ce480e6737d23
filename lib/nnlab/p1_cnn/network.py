"""Run a CNN given as a list of layer specs with the `nnlab.layers` kernels.

Forward and backward; `measure` reads its shapes, parameter counts and GEMM
sizes off a real run, to compare with `nnlab.p1_cnn.summary.summarize`.
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
from nnlab.p1_cnn.specs import (
    Conv,
    MaxPool,
    ReLU,
    check_input_shape,
    layer_window,
    output_shapes,
)


def init_params(
    layers, input_shape, seed: int = 0, positive: bool = False, dtype=np.float64
):
    """Weights ``(K, K, C, F)`` and biases ``(F,)`` for every Conv, else None.

    He-normal weights ``N(0, 2 / (K^2 C))`` and zero biases; with
    ``positive=True`` the weights are ``U(0.5, 1.5) / (K^2 C)`` instead, so
    that no sum of products can cancel (used to measure receptive fields).
    """
    shapes = [check_input_shape(input_shape)] + output_shapes(layers, input_shape)
    rng = np.random.default_rng(seed)
    params = []
    for spec, (_, _, C) in zip(layers, shapes, strict=False):
        if not isinstance(spec, Conv):
            params.append(None)
            continue
        size = (spec.kernel, spec.kernel, C, spec.filters)
        fan_in = spec.kernel * spec.kernel * C
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


def network_forward(layers, params, x, relu: bool = True, pool: str = "max"):
    """Run the network on x with the `nnlab.layers` kernels.

    Parameters
    ----------
    layers : list of Conv, ReLU, MaxPool
    params : list from `init_params`
    x : (N, H, W, C) ndarray
    relu : bool
        False makes every ReLU the identity (a linear network).
    pool : {"max", "avg"}
        "avg" runs each MaxPool's window as an average (a fixed per-channel
        convolution), whose gradient reaches every input of the window.

    Returns
    -------
    outs : list of (N, H_l, W_l, C_l) ndarray, one per layer
    caches : list, one per layer, for `network_backward`
    """
    if pool not in ("max", "avg"):
        raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
    outs, caches = [], []
    for i, (spec, p) in enumerate(zip(layers, params, strict=True)):
        layer_window(spec, i)
        if isinstance(spec, Conv):
            x, cache = conv2d_forward(x, *p, stride=spec.stride, pad=spec.padding)
        elif isinstance(spec, ReLU):
            x, cache = relu_forward(x) if relu else (x, None)
        elif pool == "max":
            x, cache = maxpool_forward(x, spec.size, spec.stride)
        else:
            C = x.shape[3]
            w = _avgpool_weights(spec.size, C, x.dtype)
            x, cache = conv2d_forward(x, w, np.zeros(C, x.dtype), spec.stride, pad=0)
        outs.append(x)
        caches.append(cache)
    return outs, caches


def network_backward(douts: dict, layers, caches, pool: str = "max"):
    """Input gradient of a loss that reads the outputs of one or more layers.

    Parameters
    ----------
    douts : dict {int: (N, H_l, W_l, C_l) ndarray}
        Gradient of the loss with respect to the output of layer l (0-based).
        With several entries one backward sweep serves them all: each is
        added to the gradient arriving from above when the sweep reaches it.
    layers, caches : as given to and returned by `network_forward`
    pool : {"max", "avg"}
        As given to `network_forward`.

    Returns
    -------
    dx : (N, H, W, C) ndarray
    """
    if not douts:
        raise ValueError("douts must name at least one layer, got an empty dict")
    grad = None
    for k in range(max(douts), -1, -1):
        if k in douts:
            grad = douts[k] if grad is None else grad + douts[k]
        spec, cache = layers[k], caches[k]
        if isinstance(spec, Conv) or (isinstance(spec, MaxPool) and pool == "avg"):
            grad = conv2d_backward(grad, cache)[0]
        elif isinstance(spec, ReLU):
            grad = grad if cache is None else relu_backward(grad, cache)
        else:
            grad = maxpool_backward(grad, cache)
    return grad


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
    arrays `init_params` allocates; ``gemm`` the shape of the im2col product
    read off the conv cache (``cols`` and ``w``).
    """
    params = init_params(layers, input_shape, seed)
    x = np.random.default_rng(seed).standard_normal((1, *input_shape))
    outs, caches = network_forward(layers, params, x)
    rows = []
    for out, p, cache in zip(outs, params, caches, strict=True):
        n_params = 0 if p is None else sum(a.size for a in p)
        gemm = None
        if isinstance(cache, ConvCache):
            (m, k), n = cache.cols.shape, cache.w.shape[3]
            gemm = (m, k, n)
        rows.append(Measured(out.shape[1:], n_params, gemm))
    return rows
