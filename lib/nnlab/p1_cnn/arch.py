"""Describe a plain CNN, count its shapes, parameters, FLOPs and receptive
fields, and run it with the `nnlab.layers` kernels.

A network is a list of layer specs, ``Conv``, ``ReLU`` and ``MaxPool``, on a
channels-last input shape ``(H, W, C)``. `summarize` works it out on paper;
`measure` runs the kernels and reads the same quantities off the arrays, so
the two can be compared.

FLOP conventions (the tour's): a multiply-add is 2 FLOPs, so a convolution
costs ``2 K^2 C F H_out W_out``; bias adds are not counted unless asked
(``count_bias=True`` adds ``F H_out W_out``); ReLU is 1 FLOP per element;
max-pooling 1 FLOP per output element, or ``K^2 - 1`` comparisons per output
element with ``pool_flops="comparisons"``.
"""

from __future__ import annotations

import html
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nnlab.layers import (
    ConvCache,
    conv2d_backward,
    conv2d_forward,
    conv_output_size,
    maxpool_backward,
    maxpool_forward,
    relu_backward,
    relu_forward,
)


def _check_size(owner: str, name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{owner} {name} must be an integer >= {minimum}, got {value!r}"
        )
    if value < minimum:
        raise ValueError(f"{owner} {name} must be an integer >= {minimum}, got {value}")


@dataclass(frozen=True)
class Conv:
    """Convolution with `filters` square `kernel` x `kernel` filters.

    ``pad=None`` means ``(kernel - 1) // 2``: "same" size for odd kernels at
    stride 1.
    """

    filters: int
    kernel: int
    stride: int = 1
    pad: int | None = None

    def __post_init__(self):
        _check_size("Conv", "filters", self.filters, 1)
        _check_size("Conv", "kernel", self.kernel, 1)
        _check_size("Conv", "stride", self.stride, 1)
        if self.pad is not None:
            _check_size("Conv", "pad", self.pad, 0)

    @property
    def padding(self) -> int:
        return (self.kernel - 1) // 2 if self.pad is None else self.pad

    @property
    def name(self) -> str:
        k = self.kernel
        extra = f", stride {self.stride}" if self.stride != 1 else ""
        if self.stride != 1 or self.pad is not None:
            extra += f", pad {self.padding}"
        return f"Conv F={self.filters}, {k}x{k}{extra}"


@dataclass(frozen=True)
class ReLU:
    """Elementwise max(x, 0)."""

    name = "ReLU"


@dataclass(frozen=True)
class MaxPool:
    """Max over `size` x `size` windows every `stride` pixels, no padding."""

    size: int = 2
    stride: int = 2

    def __post_init__(self):
        _check_size("MaxPool", "size", self.size, 1)
        _check_size("MaxPool", "stride", self.stride, 1)

    @property
    def name(self) -> str:
        return f"Pool {self.size}x{self.size}, stride {self.stride}"


def _window(spec, i: int) -> tuple[int, int, int]:
    """(kernel, stride, pad) of a layer along one spatial axis."""
    if isinstance(spec, Conv):
        return spec.kernel, spec.stride, spec.padding
    if isinstance(spec, MaxPool):
        return spec.size, spec.stride, 0
    if isinstance(spec, ReLU):
        return 1, 1, 0
    raise ValueError(
        f"unknown layer spec {spec!r} at position {i}; expected Conv, ReLU or MaxPool"
    )


def check_input_shape(input_shape) -> tuple[int, int, int]:
    """`input_shape` as a tuple of three positive ints (H, W, C), or ValueError."""
    if not (isinstance(input_shape, tuple | list) and len(input_shape) == 3):
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    for name, v in zip("HWC", input_shape, strict=True):
        _check_size("input_shape", name, v, 1)
    return tuple(int(v) for v in input_shape)


def output_shapes(layers, input_shape) -> list[tuple[int, int, int]]:
    """Output (H, W, C) of every layer; raises if a window does not fit."""
    shape = check_input_shape(input_shape)
    shapes = []
    for i, spec in enumerate(layers):
        k, s, p = _window(spec, i)
        H, W, C = shape
        if k > H + 2 * p or k > W + 2 * p:
            raise ValueError(
                f"layer {i} ({spec.name}): window {k}x{k} is larger than its "
                f"padded input {H + 2 * p}x{W + 2 * p} (input {shape})"
            )
        C_out = spec.filters if isinstance(spec, Conv) else C
        shape = (conv_output_size(H, k, s, p), conv_output_size(W, k, s, p), C_out)
        shapes.append(shape)
    return shapes


def _connectivity(n_in: int, k: int, s: int, p: int) -> np.ndarray:
    """(n_out, n_in) 0/1 matrix: which real inputs feed each output."""
    n_out = conv_output_size(n_in, k, s, p)
    first = np.arange(n_out)[:, None] * s - p  # (n_out, 1)
    u = np.arange(n_in)[None, :]  # (1, n_in)
    return ((u >= first) & (u < first + k)).astype(np.int64)


def field_masks(layers, input_shape) -> list[tuple[np.ndarray, np.ndarray]]:
    """Exact receptive fields of every output location of every layer.

    Returns
    -------
    list of (rows, cols)
        Per layer, ``rows : (H_out, H) bool`` says which input rows each
        output row sees, ``cols : (W_out, W) bool`` likewise for columns.
        The field of output (i, j) is ``rows[i][:, None] & cols[j][None, :]``
        (square kernels act on the two axes independently).

    Notes
    -----
    Padding enters exactly: a padded zero is connected to nothing, so a
    field is the union of the fields of the real inputs under the window
    and is clipped by the input boundary at every layer.
    """
    shapes = output_shapes(layers, input_shape)
    H, W, _ = check_input_shape(input_shape)
    rows, cols = np.eye(H, dtype=np.int64), np.eye(W, dtype=np.int64)
    masks = []
    for i, spec in enumerate(layers):
        k, s, p = _window(spec, i)
        rows = (_connectivity(rows.shape[0], k, s, p) @ rows > 0).astype(np.int64)
        cols = (_connectivity(cols.shape[0], k, s, p) @ cols > 0).astype(np.int64)
        assert rows.shape[0] == shapes[i][0] and cols.shape[0] == shapes[i][1]
        masks.append((rows.astype(bool), cols.astype(bool)))
    return masks


class LayerRow(NamedTuple):
    """One row of `summarize`.

    ``rf`` is the side of the unclipped receptive field, ``jump`` the input
    pixels between neighbouring outputs, ``start`` the centre of output
    (0, 0)'s field in input pixel coordinates (pixel centres at 0, 1, ...),
    ``full`` whether every output location's clipped field is the whole input.
    """

    index: int
    name: str
    shape: tuple[int, int, int]
    params: int
    flops: int
    rf: int
    jump: int
    start: float
    full: bool


class Summary(NamedTuple):
    """Rows of `summarize` with totals; renders as text and as HTML."""

    input_shape: tuple[int, int, int]
    rows: list[LayerRow]

    @property
    def params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def flops(self) -> int:
        return sum(r.flops for r in self.rows)

    @property
    def first_full(self) -> LayerRow | None:
        """The shallowest layer whose every output sees the whole input."""
        return next((r for r in self.rows if r.full), None)

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = ["#", "layer", "output HxWxC", "params", "FLOPs", "RF", "jump", "start"]
        head.append("full field")
        H, W, C = self.input_shape
        body = [["0", "Input", f"{H}x{W}x{C}", "0", "0", "1", "1", "0.0", ""]]
        for r in self.rows:
            body.append(
                [str(r.index), r.name, "x".join(map(str, r.shape)), f"{r.params:,}"]
                + [f"{r.flops:,}", str(r.rf), str(r.jump), f"{r.start:.1f}"]
                + ["yes" if r.full else "no"]
            )
        body.append(["", "Total", "", f"{self.params:,}", f"{self.flops:,}"] + [""] * 4)
        return head, body

    def to_text(self) -> str:
        head, body = self._cells()
        widths = [max(len(row[c]) for row in [head, *body]) for c in range(len(head))]
        lines = []
        for row in [head, *body]:
            cells = [
                v.ljust(w) if c == 1 else v.rjust(w)
                for c, (v, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, body = self._cells()
        first = self.first_full
        out = ['<table class="nnlab-summary">', "<thead><tr>"]
        out += [f"<th>{html.escape(h)}</th>" for h in head]
        out.append("</tr></thead><tbody>")
        for row in body:
            bold = first is not None and row[0] == str(first.index)
            style = ' style="font-weight:bold"' if bold else ""
            cells = "".join(f"<td>{html.escape(v)}</td>" for v in row)
            out.append(f"<tr{style}>{cells}</tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()


def summarize(
    layers, input_shape, pool_flops: str = "output", count_bias: bool = False
) -> Summary:
    """Shapes, parameters, FLOPs and receptive fields of every layer.

    Parameters
    ----------
    layers : list of Conv, ReLU, MaxPool
    input_shape : (H, W, C) tuple of int
    pool_flops : {"output", "comparisons"}
        1 FLOP per pooled output, or ``size^2 - 1`` comparisons per output.
    count_bias : bool
        Add one FLOP per conv output element for the bias.

    Returns
    -------
    Summary
        One `LayerRow` per layer, totals in ``.params`` and ``.flops``,
        ``.first_full`` the answer to "which layer sees everything".

    Notes
    -----
    Receptive field recursion with kernel k, stride s, pad p:
    ``rf_out = rf_in + (k - 1) jump_in``, ``jump_out = s jump_in``,
    ``start_out = start_in + ((k - 1) / 2 - p) jump_in``. The ``full`` flag
    comes from the exact, boundary-clipped fields of `field_masks`.

    References
    ----------
    V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep
    learning", arXiv:1603.07285, 2016.
    """
    if pool_flops not in ("output", "comparisons"):
        raise ValueError(
            f"pool_flops must be 'output' or 'comparisons', got {pool_flops!r}"
        )
    input_shape = check_input_shape(input_shape)
    shapes = output_shapes(layers, input_shape)
    masks = field_masks(layers, input_shape)
    rf, jump, start = 1, 1, 0.0
    shape_in = input_shape
    rows = []
    for i, (spec, shape, (mr, mc)) in enumerate(
        zip(layers, shapes, masks, strict=True)
    ):
        k, s, p = _window(spec, i)
        rf, start = rf + (k - 1) * jump, start + ((k - 1) / 2 - p) * jump
        jump *= s
        H_out, W_out, C_out = shape
        params = flops = 0
        if isinstance(spec, Conv):
            params = (k * k * shape_in[2] + 1) * C_out
            flops = 2 * k * k * shape_in[2] * C_out * H_out * W_out
            flops += H_out * W_out * C_out if count_bias else 0
        elif isinstance(spec, ReLU):
            flops = H_out * W_out * C_out
        else:
            per_output = 1 if pool_flops == "output" else k * k - 1
            flops = per_output * H_out * W_out * C_out
        full = bool(mr.all() and mc.all())
        rows.append(
            LayerRow(i + 1, spec.name, shape, params, flops, rf, jump, start, full)
        )
        shape_in = shape
    return Summary(input_shape, rows)


def problem1_layers() -> list:
    """The Problem 1 network on a 32x32x3 input."""
    net = []
    for f, k, pool in [
        (16, 5, False),
        (24, 3, True),
        (32, 3, False),
        (48, 3, True),
        (64, 3, False),
        (64, 1, True),
        (96, 3, True),
        (128, 3, True),
    ]:
        net += [Conv(f, k), ReLU()] + ([MaxPool(2, 2)] if pool else [])
    return net


PROBLEM1_INPUT = (32, 32, 3)


def replace_pools(layers, kernel: int, pad: int, in_channels: int) -> list:
    """Each MaxPool becomes a Conv with as many filters as its input has
    channels, the given kernel and pad, and the pool's stride."""
    out, channels = [], in_channels
    for i, spec in enumerate(layers):
        _window(spec, i)
        if isinstance(spec, MaxPool):
            spec = Conv(channels, kernel, stride=spec.stride, pad=pad)
        elif isinstance(spec, Conv):
            channels = spec.filters
        out.append(spec)
    return out


def problem1_variants() -> dict[str, list]:
    """The Problem 1 network and its two strided-convolution variants."""
    net = problem1_layers()
    C = PROBLEM1_INPUT[2]
    return {
        "max-pool 2x2/2": net,
        "conv 2x2/2": replace_pools(net, kernel=2, pad=0, in_channels=C),
        "conv 3x3/2, pad 1": replace_pools(net, kernel=3, pad=1, in_channels=C),
    }


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
        _window(spec, i)
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
