"""Receptive fields measured with gradients.

The theoretical field of an output location is the set of input pixels
that can change it (`nnlab.p1_cnn.geometry.field_masks`). Here it is measured instead:
back-propagate a unit gradient from that location to the input and take the
support of dx. Two choices make the support equal the theoretical field:

* positive weights and linear activations, so every input-to-output path
  carries a positive product and no sum can cancel to zero;
* average-pool routing in place of max-pool: the max sends the gradient to
  the one arg-max of each window, so the support would show only the pixels
  this particular input routed through, a subset of the field, while the
  field is the union over all inputs, which the average reaches at once.

`nnlab.p1_cnn.erf` takes the same gradient through the real network for
the effective receptive field.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.p1_cnn.geometry import (
    HWC,
    check_input_shape,
    check_layers,
    field_masks,
    output_shapes,
)
from nnlab.p1_cnn.network import (
    POOLS,
    check_runnable,
    init_network,
    network_backward,
    network_forward,
)
from nnlab.p1_cnn.specs import AvgPool, Conv, MaxPool, ReLU
from nnlab.validate import check_choice, check_int


def check_row(layers, row: int, name: str = "row") -> int:
    """Return `row` after checking it numbers a layer: 1 .. len(layers).

    Row 0 is the input, row ``i + 1`` is ``layers[i]`` (the table's rows).

    Raises
    ------
    TypeError
        If `row` is not an integer.
    ValueError
        If it is out of range; the message uses `name`.
    """
    row = check_int(name, row)
    if not 1 <= row <= len(layers):
        raise ValueError(
            f"{name} must be a row in [1, {len(layers)}] (row 0 is the input), "
            f"got {row}"
        )
    return row


def _check_loc(name: str, loc, shape, row: int) -> tuple[int, int]:
    """`loc` as (row, col) after checking it lies in the (H_l, W_l) `shape`."""
    if not (isinstance(loc, tuple | list | np.ndarray) and len(loc) == 2):
        raise TypeError(f"{name} must be a pair (row, col), got {loc!r}")
    i, j = (check_int(name, v) for v in loc)
    if not (0 <= i < shape[0] and 0 <= j < shape[1]):
        raise ValueError(
            f"{name}: location {(i, j)} is outside row {row}'s "
            f"{shape[0]}x{shape[1]} output"
        )
    return i, j


def geometric_field(layers, input_shape, row: int, loc: tuple[int, int]) -> np.ndarray:
    """(H, W) bool mask of the input pixels output `loc` of row `row` sees.

    Parameters
    ----------
    layers : list of specs
    input_shape : (H, W, C) tuple of int
    row : int
        Row of the table: 1 .. len(layers), ``layers[row - 1]``.
    loc : (row, col) pair of int
        A location of that row's output.

    Returns
    -------
    (H, W) bool ndarray

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.geometry.field_masks`, or if `row` or `loc` is out
        of range.
    """
    row = check_row(check_layers(layers), row)
    rows, cols = field_masks(layers[:row], input_shape)[-1]
    i, j = _check_loc("loc", loc, (rows.shape[0], cols.shape[0]), row)
    return rows[i][:, None] & cols[j][None, :]


def gradient_fields(
    layers, input_shape, row: int, locs, pool: str = "avg", seed: int = 0
) -> np.ndarray:
    """Support of the input gradient of a unit gradient at each location.

    Parameters
    ----------
    layers, input_shape : as in `nnlab.p1_cnn.summary.layer_table`
    row : int
        Row whose outputs are probed: 1 .. len(layers).
    locs : non-empty sequence of (row, col)
        One batch element per location.
    pool : {"avg", "max"}
        "avg" (the default) measures the receptive field; "max" shows where
        one random input's max-pool routing actually sends the gradient.
    seed : int
        Seeds the positive weights and, for "max", the input.

    Returns
    -------
    (len(locs), H, W) bool ndarray
        True where some channel of dx is non-zero.

    Raises
    ------
    TypeError, ValueError
        As `geometric_field`, for an unknown `pool`, an empty `locs` or a
        bad `seed`.
    """
    row = check_row(check_runnable(layers), row)
    pool = check_choice("pool", pool, POOLS)
    seed = check_int("seed", seed, 0)
    net = layers[:row]
    H, W, C = check_input_shape(input_shape)
    shape = output_shapes(net, input_shape)[-1]
    if not isinstance(locs, list | tuple | np.ndarray) or len(locs) == 0:
        raise ValueError(f"locs must be a non-empty list of (row, col), got {locs!r}")
    r, c = np.array([_check_loc("locs", loc, shape, row) for loc in locs]).T
    params = init_network(net, input_shape, seed, positive=True)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, (len(locs), H, W, C))
    out, cache = network_forward(x, net, params, relu=False, pool=pool)
    dout = np.zeros_like(out)  # (n, H_l, W_l, C_l)
    dout[np.arange(len(locs)), r, c, 0] = 1.0
    dx, _ = network_backward(dout, cache)
    return np.any(dx != 0, axis=-1)


class FieldCheck(NamedTuple):
    """Geometric versus gradient-measured fields at one row."""

    row: int
    locations: int
    pixels: int
    mismatches: int


def _diagonal(n_rows: int, n_cols: int) -> np.ndarray:
    """(max(n_rows, n_cols), 2) locations (k, k), clamped to the output."""
    k = np.arange(max(n_rows, n_cols))
    return np.stack([np.minimum(k, n_rows - 1), np.minimum(k, n_cols - 1)], axis=1)


def one_channel(layers) -> list:
    """Return the same geometry with one channel: each Conv gets 1 filter.

    Which input pixels a unit gradient reaches does not depend on the number
    of channels (with positive weights every channel carries it), so the
    field check runs on this network: as much work as one channel of the
    real one.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.network.check_runnable`.
    """
    return [
        Conv(1, s.kernel, s.stride, s.pad, s.dilation, 1, s.bias)
        if isinstance(s, Conv)
        else s
        for s in check_runnable(layers)
    ]


def probe_bytes(layers, input_shape) -> int:
    """Bytes `check_fields` needs per probed location (one batch element).

    Float32 activations of every row and the im2col columns of every
    convolution and average-routed pool, three times over for the
    backward pass's temporaries, on the one-channel network.

    Raises
    ------
    TypeError, ValueError
        As `one_channel` and `nnlab.p1_cnn.geometry.output_shapes`.
    """
    net = one_channel(layers)
    H, W, _ = check_input_shape(input_shape)
    floats = H * W
    for spec, (h, w, _) in zip(net, output_shapes(net, HWC(H, W, 1)), strict=True):
        window = (
            spec.kernel_hw[0] ** 2 if isinstance(spec, Conv | MaxPool | AvgPool) else 0
        )
        floats += h * w * (1 + window)
    return 3 * 4 * floats


def check_fields(
    layers, input_shape, seed: int = 0, max_bytes: int = 1 << 30
) -> list[FieldCheck]:
    """Compare both fields at every row, at locations (k, k) down the diagonal.

    The diagonal passes through every output row and every output column,
    and a field is a product of a row set and a column set (every layer acts
    on the two axes separately), so this tests every row and column field.

    Parameters
    ----------
    layers, input_shape : as in `nnlab.p1_cnn.summary.layer_table`
        Specs the numpy kernels run (`nnlab.p1_cnn.network.check_runnable`).
    seed : int
        Seeds the positive weights, >= 0.
    max_bytes : int
        Memory cap, >= 1: probe locations are run in chunks of
        ``max_bytes // probe_bytes(layers, input_shape)``.

    Returns
    -------
    list of FieldCheck, one per row 1..L
        ``pixels`` is the total size of the measured fields, ``mismatches``
        the pixels where measured and geometric fields differ.

    Raises
    ------
    TypeError, ValueError
        As `probe_bytes`, for a bad `seed` or `max_bytes`, or if one probe
        location alone needs more than `max_bytes` (the message says what to
        shrink).

    Notes
    -----
    Runs the one-channel network (`one_channel`) in float32 on an all-ones
    input: with positive weights nothing can cancel. One forward pass of a
    chunk serves every row; each chunk of a row's locations then has its
    own backward sweep (unused batch elements get a zero gradient).
    """
    seed = check_int("seed", seed, 0)
    max_bytes = check_int("max_bytes", max_bytes, 1)
    net = one_channel(layers)
    H, W, _ = check_input_shape(input_shape)
    per_loc = probe_bytes(layers, input_shape)
    if per_loc > max_bytes:
        raise ValueError(
            f"checking one location of a {H}x{W} input needs about "
            f"{per_loc / 2**20:.0f} MiB, more than max_bytes={max_bytes:,} "
            f"({max_bytes / 2**20:.0f} MiB): shrink the input (H, W) or raise "
            "max_bytes"
        )
    shape1 = HWC(H, W, 1)
    masks = field_masks(net, shape1)
    params = init_network(net, shape1, seed, positive=True, dtype=np.float32)
    locs = [_diagonal(r.shape[0], c.shape[0]) for r, c in masks]
    chunk = min(max_bytes // per_loc, max(len(loc) for loc in locs))
    x = np.ones((chunk, H, W, 1), dtype=np.float32)
    _, cache = network_forward(x, net, params, relu=False, pool="avg")
    checks = []
    for k, (loc, (rows, cols)) in enumerate(zip(locs, masks, strict=True)):
        pixels = mismatches = 0
        for lo in range(0, len(loc), chunk):
            part = loc[lo : lo + chunk]  # (n, 2)
            n = len(part)
            dout = np.zeros_like(cache.outs[k])  # (chunk, H_k, W_k, 1)
            dout[np.arange(n), part[:, 0], part[:, 1], 0] = 1.0
            dx, _ = network_backward(dout, cache.upto(k + 1))
            measured = dx[:n, :, :, 0] != 0  # (n, H, W)
            geometric = rows[part[:, 0]][:, :, None] & cols[part[:, 1]][:, None, :]
            pixels += int(measured.sum())
            mismatches += int((measured != geometric).sum())
        checks.append(FieldCheck(k + 1, len(loc), pixels, mismatches))
    return checks


def block_outputs(layers) -> list[int]:
    """Return the rows (1 .. len(layers)) a block ends with.

    These are every ReLU and pool, and any conv not followed by a ReLU.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.geometry.check_layers`.
    """
    layers = check_layers(layers)
    ends = []
    for k, spec in enumerate(layers):
        nxt = layers[k + 1] if k + 1 < len(layers) else None
        if not isinstance(spec, Conv) or not isinstance(nxt, ReLU):
            ends.append(k + 1)
    return ends
