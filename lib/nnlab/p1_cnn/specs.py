"""Layer specs of a plain CNN, and the Problem 1 network.

Also what the specs alone determine: output shapes and exact receptive
fields.

A network is a list of layer specs, ``Conv``, ``ReLU`` and ``MaxPool``, on a
channels-last input shape ``(H, W, C)``. `output_shapes` and `field_masks`
propagate a shape and the set of input pixels each output sees through the
list; `nnlab.p1_cnn.summary` turns them into the per-layer table and
`nnlab.p1_cnn.network` runs the list with the `nnlab.layers` kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlab.layers import conv_output_size
from nnlab.validate import check_int


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
        """Raise TypeError unless every size is an integer, ValueError if too small."""
        check_int("Conv filters", self.filters, 1)
        check_int("Conv kernel", self.kernel, 1)
        check_int("Conv stride", self.stride, 1)
        if self.pad is not None:
            check_int("Conv pad", self.pad, 0)

    @property
    def padding(self) -> int:
        """Zero padding on each side, in pixels: `pad`, or ``(kernel - 1) // 2``."""
        return (self.kernel - 1) // 2 if self.pad is None else self.pad

    @property
    def name(self) -> str:
        """Label of the layer in tables and figures, e.g. ``Conv F=64, 3x3``."""
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
        """TypeError unless `size` and `stride` are integers, ValueError if < 1."""
        check_int("MaxPool size", self.size, 1)
        check_int("MaxPool stride", self.stride, 1)

    @property
    def name(self) -> str:
        """Label of the layer in tables and figures, e.g. ``Pool 2x2, stride 2``."""
        return f"Pool {self.size}x{self.size}, stride {self.stride}"


def layer_window(spec, position: int) -> tuple[int, int, int]:
    """(kernel, stride, pad) of a layer along one spatial axis.

    Parameters
    ----------
    spec : Conv, ReLU or MaxPool
    position : int
        Index of `spec` in its layer list, named in the error message.

    Returns
    -------
    (kernel, stride, pad) : tuple of int
        ``(1, 1, 0)`` for ReLU, ``(size, stride, 0)`` for MaxPool.

    Raises
    ------
    TypeError
        If `position` is not an integer.
    ValueError
        If `spec` is not one of the three layer specs, or `position` < 0.
    """
    check_int("position", position, 0)
    if isinstance(spec, Conv):
        return spec.kernel, spec.stride, spec.padding
    if isinstance(spec, MaxPool):
        return spec.size, spec.stride, 0
    if isinstance(spec, ReLU):
        return 1, 1, 0
    raise ValueError(
        f"unknown layer spec {spec!r} at position {position}; "
        "expected Conv, ReLU or MaxPool"
    )


def check_layers(layers) -> list:
    """Return `layers` as a list after checking every entry is a layer spec.

    Raises
    ------
    TypeError
        If `layers` is not a list or tuple.
    ValueError
        If an entry is not a Conv, ReLU or MaxPool (the message gives its
        position).
    """
    if not isinstance(layers, list | tuple):
        raise TypeError(
            "layers must be a list of Conv, ReLU and MaxPool specs, "
            f"got {type(layers).__name__}"
        )
    for i, spec in enumerate(layers):
        layer_window(spec, i)
    return list(layers)


def check_input_shape(input_shape) -> tuple[int, int, int]:
    """Return `input_shape` as a tuple of three positive ints (H, W, C).

    Raises
    ------
    TypeError
        If it is not a tuple or list, or an entry is not an integer.
    ValueError
        If it does not have three entries, or one is below 1.
    """
    if not isinstance(input_shape, tuple | list):
        raise TypeError(
            f"input_shape must be a tuple (H, W, C), got {type(input_shape).__name__}"
        )
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    for name, v in zip("HWC", input_shape, strict=True):
        check_int(f"input_shape {name}", v, 1)
    return tuple(int(v) for v in input_shape)


def output_shapes(layers, input_shape) -> list[tuple[int, int, int]]:
    """Output (H, W, C) of every layer.

    Parameters
    ----------
    layers : list of Conv, ReLU, MaxPool
    input_shape : (H, W, C) tuple of int

    Returns
    -------
    list of (H_l, W_l, C_l) tuple of int, one per layer

    Raises
    ------
    TypeError, ValueError
        As `check_layers` and `check_input_shape`, or if a window is larger
        than its padded input.
    """
    layers = check_layers(layers)
    shape = check_input_shape(input_shape)
    shapes = []
    for i, spec in enumerate(layers):
        k, s, p = layer_window(spec, i)
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

    Parameters
    ----------
    layers : list of Conv, ReLU, MaxPool
    input_shape : (H, W, C) tuple of int

    Returns
    -------
    list of (rows, cols)
        Per layer, ``rows : (H_out, H) bool`` says which input rows each
        output row sees, ``cols : (W_out, W) bool`` likewise for columns.
        The field of output (i, j) is ``rows[i][:, None] & cols[j][None, :]``
        (square kernels act on the two axes independently).

    Raises
    ------
    TypeError, ValueError
        As `output_shapes`.

    Notes
    -----
    Padding enters exactly: a padded zero is connected to nothing, so a
    field is the union of the fields of the real inputs under the window
    and is clipped by the input boundary at every layer.
    """
    layers = check_layers(layers)
    shapes = output_shapes(layers, input_shape)
    H, W, _ = check_input_shape(input_shape)
    rows, cols = np.eye(H, dtype=np.int64), np.eye(W, dtype=np.int64)
    masks = []
    for i, spec in enumerate(layers):
        k, s, p = layer_window(spec, i)
        rows = (_connectivity(rows.shape[0], k, s, p) @ rows > 0).astype(np.int64)
        cols = (_connectivity(cols.shape[0], k, s, p) @ cols > 0).astype(np.int64)
        assert rows.shape[0] == shapes[i][0] and cols.shape[0] == shapes[i][1]
        masks.append((rows.astype(bool), cols.astype(bool)))
    return masks


def problem1_layers() -> list:
    """Return the Problem 1 network on a 32x32x3 input."""
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
    """Replace each MaxPool by a Conv.

    The Conv has as many filters as its input has channels, the given kernel
    and pad, and the pool's stride.

    Parameters
    ----------
    layers : list of Conv, ReLU, MaxPool
    kernel : int
        Side of the replacing convolutions, >= 1.
    pad : int
        Their zero padding, >= 0.
    in_channels : int
        Channels of the network's input, >= 1 (the filters of a pool that
        comes before any Conv).

    Returns
    -------
    list of Conv, ReLU, MaxPool

    Raises
    ------
    TypeError, ValueError
        As `check_layers` and `nnlab.validate.check_int`.
    """
    layers = check_layers(layers)
    kernel = check_int("kernel", kernel, 1)
    pad = check_int("pad", pad, 0)
    out, channels = [], check_int("in_channels", in_channels, 1)
    for spec in layers:
        if isinstance(spec, MaxPool):
            spec = Conv(channels, kernel, stride=spec.stride, pad=pad)
        elif isinstance(spec, Conv):
            channels = spec.filters
        out.append(spec)
    return out


def problem1_variants() -> dict[str, list]:
    """Return the Problem 1 network and its two strided-convolution variants."""
    net = problem1_layers()
    C = PROBLEM1_INPUT[2]
    return {
        "max-pool 2x2/2": net,
        "conv 2x2/2": replace_pools(net, kernel=2, pad=0, in_channels=C),
        "conv 3x3/2, pad 1": replace_pools(net, kernel=3, pad=1, in_channels=C),
    }
