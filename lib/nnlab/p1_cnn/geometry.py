"""What a list of layer specs determines: output shapes and exact fields.

Along each spatial axis a layer is a `Window`: kernel, stride, dilation and
the padding before and after (TensorFlow's "same" is resolved here, since
it depends on the input size). `output_shapes` and `field_masks` propagate a
shape and the set of input pixels every output sees through the list;
`fields` gives the unclipped receptive field size, jump, start and effective
padding of every row. Rows are numbered as in the problem's table: the input
is row 0 and ``layers[i]`` is row ``i + 1``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.p1_cnn.specs import (
    LAYER_KINDS,
    AvgPool,
    BatchNorm,
    Conv,
    Flatten,
    GlobalAvgPool,
    Linear,
    MaxPool,
    ReLU,
    Residual,
)
from nnlab.validate import check_int


class HWC(NamedTuple):
    """An input shape whose (H, W, C) order is intended.

    A plain tuple such as ``(3, 32, 32)`` looks channels-first and is
    refused; ``HWC(3, 32, 32)`` says it is a 3-pixel-high input with 32
    channels.
    """

    H: int
    W: int
    C: int


class Window(NamedTuple):
    """One layer along one axis.

    Output ``o`` reads inputs ``o * stride - lo + t * dilation`` for taps
    ``t = 0 .. kernel - 1``; `hi` is the padding after the input, `ceil`
    torch's ``ceil_mode``.
    """

    kernel: int
    stride: int
    dilation: int
    lo: int
    hi: int
    ceil: bool = False

    @property
    def span(self) -> int:
        """Input pixels from first tap to last: ``dilation (kernel - 1) + 1``."""
        return self.dilation * (self.kernel - 1) + 1

    def out_size(self, n: int) -> int:
        """Output length for an input of length `n` (torch's ceil_mode rule)."""
        room = n + self.lo + self.hi - self.span
        if self.ceil:
            out = -(-room // self.stride) + 1
            # torch: the last window must start inside the input or left pad.
            return out - 1 if (out - 1) * self.stride >= n + self.lo else out
        return room // self.stride + 1


IDENTITY = Window(1, 1, 1, 0, 0)


def check_input_shape(input_shape) -> HWC:
    """Return `input_shape` as an `HWC` of three positive ints.

    Raises
    ------
    TypeError
        If it is not a tuple or list, or an entry is not an integer.
    ValueError
        If it does not have three entries, an entry is below 1, or it looks
        channels-first: its first entry is 1, 3 or 4 and smaller than the
        other two, unless it is given as `HWC` (the order is intended).
    """
    if not isinstance(input_shape, tuple | list):
        raise TypeError(
            f"input_shape must be a tuple (H, W, C), got {type(input_shape).__name__}"
        )
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    H, W, C = (
        check_int(f"input_shape {n}", v, 1)
        for n, v in zip("HWC", input_shape, strict=True)
    )
    if not isinstance(input_shape, HWC) and H in (1, 3, 4) and H < min(W, C):
        raise ValueError(
            f"input_shape {tuple(input_shape)} looks channels-first (C, H, W); "
            f"nnlab takes (H, W, C), e.g. {(W, C, H)}. If a {H}-pixel-high input "
            f"with {C} channels is intended, pass HWC({H}, {W}, {C})"
        )
    return HWC(H, W, C)


def check_layers(layers, name: str = "layers") -> list:
    """Return `layers` as a list after checking every entry is a layer spec.

    Raises
    ------
    TypeError
        If `layers` is not a list or tuple.
    ValueError
        If an entry is not a spec (the message gives its row).
    """
    if not isinstance(layers, list | tuple):
        raise TypeError(
            f"{name} must be a list of layer specs (Conv, MaxPool, ...), "
            f"got {type(layers).__name__}"
        )
    for i, spec in enumerate(layers):
        if not isinstance(spec, LAYER_KINDS):
            raise ValueError(
                f"{name}: row {i + 1} is {spec!r}, not a layer spec; expected "
                "Conv, MaxPool, AvgPool, GlobalAvgPool, BatchNorm, ReLU, Flatten, "
                "Linear or Residual"
            )
    return list(layers)


def _same(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow "same": output ceil(n / s), extra pixel at the bottom/right."""
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def windows(spec, shape, row: int) -> tuple[Window, Window]:
    """(height window, width window) of a non-residual layer on input `shape`.

    Raises
    ------
    ValueError
        If `spec` is a Residual, a Linear on a map larger than 1x1, or a
        window longer than its padded input (naming the row, the window and
        the padded input).
    """
    H, W, _ = shape
    if isinstance(spec, Conv | MaxPool | AvgPool):
        k, s, d = spec.kernel_hw, spec.stride_hw, spec.dilation_hw
        pads = spec.pads
        if pads == "same":
            pads = (*_same(H, k[0], s[0], d[0]), *_same(W, k[1], s[1], d[1]))
        ceil = getattr(spec, "ceil_mode", False)
        wins = (
            Window(k[0], s[0], d[0], pads[0], pads[1], ceil),
            Window(k[1], s[1], d[1], pads[2], pads[3], ceil),
        )
    elif isinstance(spec, GlobalAvgPool | Flatten):
        wins = Window(H, 1, 1, 0, 0), Window(W, 1, 1, 0, 0)
    elif isinstance(spec, Linear):
        if (H, W) != (1, 1):
            raise ValueError(
                f"row {row} ({spec.name}) needs a 1x1 map, got {H}x{W}: put "
                "Flatten or GlobalAvgPool before it"
            )
        wins = IDENTITY, IDENTITY
    elif isinstance(spec, ReLU | BatchNorm):
        wins = IDENTITY, IDENTITY
    else:
        raise ValueError(f"row {row}: {spec!r} has no single window")
    for w, n in zip(wins, (H, W), strict=True):
        if w.span > n + w.lo + w.hi:
            raise ValueError(
                f"row {row} ({spec.name}): window {w.span} (kernel {w.kernel}, "
                f"dilation {w.dilation}) is longer than its padded input "
                f"{n + w.lo + w.hi} (input {H}x{W}, pad {w.lo}+{w.hi})"
            )
    return wins


def _out_channels(spec, shape, row: int) -> int:
    H, W, C = shape
    if isinstance(spec, Conv):
        if C % spec.groups:
            raise ValueError(
                f"row {row} ({spec.name}): input channels {C} are not divisible "
                f"by groups {spec.groups}"
            )
        return spec.filters
    if isinstance(spec, Flatten):
        return H * W * C
    if isinstance(spec, Linear):
        return spec.features
    return C


class Step(NamedTuple):
    """One row's geometry: output shape and per-axis connectivity to its input.

    ``conn[a]`` is an ``(n_out, n_in)`` bool matrix along axis a; ``equiv[a]``
    a `Window` with the same unclipped field (a block's union of paths).
    """

    shape: tuple[int, int, int]
    conn: tuple[np.ndarray, np.ndarray]
    equiv: tuple[Window, Window]


def _connectivity(n_in: int, w: Window) -> np.ndarray:
    """(n_out, n_in) bool: which real inputs feed each output."""
    n_out = w.out_size(n_in)
    taps = (
        np.arange(n_out)[:, None] * w.stride - w.lo + np.arange(w.kernel) * w.dilation
    )
    conn = np.zeros((n_out, n_in), dtype=bool)
    o, t = np.nonzero((taps >= 0) & (taps < n_in))
    conn[o, taps[o, t]] = True
    return conn


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Boolean product: ``a`` after ``b``."""
    return (a.astype(np.int64) @ b.astype(np.int64)) > 0


def _field_of(steps: list[Step], axis: int) -> tuple[int, int, int]:
    """(left edge, jump, right edge) of output 0's unclipped field over `steps`."""
    lo, jump, hi = 0, 1, 0
    for st in steps:
        w = st.equiv[axis]
        lo, hi = lo - w.lo * jump, hi + (w.span - 1 - w.lo) * jump
        jump *= w.stride
    return lo, jump, hi


def step(spec, shape, row: int) -> Step:
    """Geometry of one row on input `shape` (Residual blocks included).

    Raises
    ------
    ValueError
        As `windows`, or if a Residual's paths disagree on the output shape
        or on the jump (their output grids would not line up).
    """
    if not isinstance(spec, Residual):
        wins = windows(spec, shape, row)
        out = (wins[0].out_size(shape[0]), wins[1].out_size(shape[1]))
        conn = tuple(_connectivity(n, w) for n, w in zip(shape[:2], wins, strict=True))
        return Step((*out, _out_channels(spec, shape, row)), conn, wins)
    paths = [list(spec.body), list(spec.shortcut or [])]
    results = []
    for path in paths:
        steps, s = [], shape
        for spec_i in path:
            steps.append(step(spec_i, s, row))
            s = steps[-1].shape
        results.append((steps, s))
    (body, s_body), (short, s_short) = results
    if s_body != s_short:
        raise ValueError(
            f"row {row} ({spec.name}): the body gives {s_body} but the shortcut "
            f"gives {s_short}; the two paths must agree to be added"
        )
    conn, equiv = [], []
    for a in range(2):
        mats = []
        for steps in (body, short):
            m = np.eye(shape[a], dtype=bool)
            for st in steps:
                m = _compose(st.conn[a], m)
            mats.append(m)
        conn.append(mats[0] | mats[1])
        (lo_b, j_b, hi_b), (lo_s, j_s, hi_s) = (
            _field_of(body, a),
            _field_of(short, a),
        )
        if j_b != j_s:
            raise ValueError(
                f"row {row} ({spec.name}): body jump {j_b} and shortcut jump "
                f"{j_s} differ along {'HW'[a]}; the paths would not line up"
            )
        lo, hi = min(lo_b, lo_s), max(hi_b, hi_s)
        equiv.append(Window(hi - lo + 1, j_b, 1, -lo, 0))
    return Step(s_body, tuple(conn), tuple(equiv))


def steps(layers, input_shape) -> list[Step]:
    """`Step` of every row 1..L of `layers` on `input_shape`.

    Raises
    ------
    TypeError, ValueError
        As `check_layers`, `check_input_shape` and `step`.
    """
    layers = check_layers(layers)
    shape = check_input_shape(input_shape)
    out = []
    for i, spec in enumerate(layers):
        out.append(step(spec, shape, i + 1))
        shape = out[-1].shape
    return out


def output_shapes(layers, input_shape) -> list[tuple[int, int, int]]:
    """Output (H, W, C) of rows 1..L.

    Raises
    ------
    TypeError, ValueError
        As `steps`.
    """
    return [st.shape for st in steps(layers, input_shape)]


def field_masks(layers, input_shape) -> list[tuple[np.ndarray, np.ndarray]]:
    """Exact receptive fields of every output location of rows 1..L.

    Returns
    -------
    list of (rows, cols)
        ``masks[i]`` belongs to row ``i + 1``. ``rows : (H_out, H) bool``
        says which input rows each output row sees, ``cols : (W_out, W)``
        likewise; the field of output (i, j) is
        ``rows[i][:, None] & cols[j][None, :]`` (every layer acts on the two
        axes separately).

    Raises
    ------
    TypeError, ValueError
        As `steps`.

    Notes
    -----
    Padding enters exactly: a padded zero is connected to nothing, so a
    field is the union of the fields of the real inputs under the window,
    clipped by the input boundary at every layer. A residual block's field
    is the union over its two paths.
    """
    H, W, _ = check_input_shape(input_shape)
    rows, cols = np.eye(H, dtype=bool), np.eye(W, dtype=bool)
    masks = []
    for st in steps(layers, input_shape):
        rows, cols = _compose(st.conn[0], rows), _compose(st.conn[1], cols)
        masks.append((rows, cols))
    return masks


class AxisField(NamedTuple):
    """Unclipped field of a row along one axis.

    ``rf`` pixels wide, ``jump`` input pixels between neighbouring outputs,
    ``start`` the centre of output 0's field (pixel centres at 0, 1, ...),
    ``pad`` the effective padding: output 0's field starts at pixel -pad.
    """

    rf: int
    jump: int
    start: float
    pad: int


def fields(layers, input_shape) -> list[tuple[AxisField, AxisField]]:
    r"""(height, width) `AxisField` of rows 1..L.

    Notes
    -----
    With span :math:`k` (dilation included), stride :math:`s` and padding
    :math:`p` before the input:

    .. math::
        rf_{out} = rf_{in} + (k - 1)\, j_{in}, \quad j_{out} = s\, j_{in}, \quad
        P_{out} = P_{in} + p\, j_{in}, \quad start = \frac{rf - 1}{2} - P

    Raises
    ------
    TypeError, ValueError
        As `steps`.

    References
    ----------
    A. Araujo, W. Norris, J. Sim, "Computing receptive fields of
    convolutional neural networks", Distill, 2019.
    """
    acc = [(1, 1, 0), (1, 1, 0)]
    out = []
    for st in steps(layers, input_shape):
        row = []
        for a in range(2):
            rf, jump, pad = acc[a]
            w = st.equiv[a]
            rf, pad, jump = rf + (w.span - 1) * jump, pad + w.lo * jump, jump * w.stride
            acc[a] = (rf, jump, pad)
            row.append(AxisField(rf, jump, (rf - 1) / 2 - pad, pad))
        out.append(tuple(row))
    return out
