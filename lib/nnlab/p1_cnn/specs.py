"""Layer specs of a CNN, with PyTorch's names and defaults.

A network is a list of specs on a channels-last input shape ``(H, W, C)``:
``Conv``, ``MaxPool``, ``AvgPool``, ``GlobalAvgPool``, ``BatchNorm``,
``ReLU``, ``Flatten``, ``Linear`` and ``Residual`` (a block whose output is
the sum of two paths). Each spec checks its arguments when it is built, and
its defaults are those of the ``torch.nn`` layer of the same name:
``Conv(8, 3)`` has stride 1 and no padding (a 32x32 input gives 30x30),
``MaxPool(3)`` has stride 3.

`nnlab.p1_cnn.geometry` propagates shapes and exact receptive fields
through a list, `nnlab.p1_cnn.summary` makes the per-layer table, and
`nnlab.p1_cnn.presets` holds published networks written with these specs.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnlab.validate import check_int

PAD_FORMS = (
    "an int, a pair (ph, pw), a 4-tuple (top, bottom, left, right), "
    "'same' (TensorFlow's rule) or 'valid'"
)


def pair(name: str, value, minimum: int) -> tuple[int, int]:
    """Return `value` (an int or a pair of ints) as a pair (h, w).

    Raises
    ------
    TypeError
        If it is neither an integer nor a pair of integers.
    ValueError
        If a pair does not have two entries, or an entry is below `minimum`.
    """
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {value!r}")
        return check_int(name, value[0], minimum), check_int(name, value[1], minimum)
    v = check_int(name, value, minimum)
    return v, v


def padding(name: str, pad) -> tuple[int, int, int, int] | str:
    """Return `pad` as (top, bottom, left, right), or the string "same".

    Parameters
    ----------
    name : str
        How the message names the argument.
    pad : int, (ph, pw), (top, bottom, left, right), "same" or "valid"

    Raises
    ------
    TypeError, ValueError
        Naming the allowed forms (`PAD_FORMS`).
    """
    if isinstance(pad, str):
        if pad not in ("same", "valid"):
            raise ValueError(f"{name} must be {PAD_FORMS}; got {pad!r}")
        return "same" if pad == "same" else (0, 0, 0, 0)
    if isinstance(pad, tuple | list):
        if len(pad) == 2:
            ph, pw = (check_int(name, p, 0) for p in pad)
            return ph, ph, pw, pw
        if len(pad) == 4:
            t, b, left, r = (check_int(name, p, 0) for p in pad)
            return t, b, left, r
        raise ValueError(f"{name} must be {PAD_FORMS}; got {pad!r}")
    if isinstance(pad, bool) or not isinstance(pad, int):
        raise TypeError(f"{name} must be {PAD_FORMS}; got {type(pad).__name__} {pad!r}")
    p = check_int(name, pad, 0)
    return p, p, p, p


def _size(hw: tuple[int, int]) -> str:
    return f"{hw[0]}x{hw[1]}"


def _pad_label(pad, kernel, stride) -> str:
    """Label the padding; empty when it keeps the size ((K-1)/2, stride 1)."""
    if pad == "same":
        return ", pad same"
    t, b, left, r = pad
    keeps = (t, b) == ((kernel[0] - 1) // 2,) * 2 and (left, r) == (
        (kernel[1] - 1) // 2,
    ) * 2
    if keeps and stride == (1, 1) and kernel[0] % 2 and kernel[1] % 2:
        return ""
    if t == b == left == r:
        return f", pad {t}"
    if (t, left) == (b, r):
        return f", pad {t}x{left}"
    return f", pad {t},{b},{left},{r}"


@dataclass(frozen=True)
class Conv:
    """2-D convolution, as ``torch.nn.Conv2d`` (input channels inferred).

    Parameters
    ----------
    filters : int
        Output channels F, >= 1.
    kernel : int or (kh, kw)
    stride, dilation : int or (sh, sw), default 1
    pad : int, (ph, pw), (top, bottom, left, right), "same" or "valid"
        Zero padding, default 0. "same" follows TensorFlow: output
        ``ceil(n / stride)``, total padding split with the extra pixel at
        the bottom/right.
    groups : int
        Channel groups, >= 1; input channels and `filters` must divide by it
        (``groups = C`` is a depthwise convolution).
    bias : bool
    """

    filters: int
    kernel: int | tuple[int, int]
    stride: int | tuple[int, int] = 1
    pad: int | tuple | str = 0
    dilation: int | tuple[int, int] = 1
    groups: int = 1
    bias: bool = True

    def __post_init__(self):
        """Check every argument; TypeError or ValueError naming it."""
        check_int("Conv filters", self.filters, 1)
        pair("Conv kernel", self.kernel, 1)
        pair("Conv stride", self.stride, 1)
        pair("Conv dilation", self.dilation, 1)
        padding("Conv pad", self.pad)
        check_int("Conv groups", self.groups, 1)
        if self.filters % self.groups:
            raise ValueError(
                f"Conv filters ({self.filters}) must be divisible by groups "
                f"({self.groups})"
            )
        if not isinstance(self.bias, bool):
            raise TypeError(f"Conv bias must be a bool, got {self.bias!r}")

    @property
    def kernel_hw(self) -> tuple[int, int]:
        """(kh, kw)."""
        return pair("kernel", self.kernel, 1)

    @property
    def stride_hw(self) -> tuple[int, int]:
        """(sh, sw)."""
        return pair("stride", self.stride, 1)

    @property
    def dilation_hw(self) -> tuple[int, int]:
        """(dh, dw)."""
        return pair("dilation", self.dilation, 1)

    @property
    def pads(self):
        """(top, bottom, left, right), or "same" (resolved per input size)."""
        return padding("pad", self.pad)

    @property
    def name(self) -> str:
        """Label in tables and figures, e.g. ``Conv F=64, 3x3``."""
        k, s, d = self.kernel_hw, self.stride_hw, self.dilation_hw
        out = f"Conv F={self.filters}, {_size(k)}"
        out += f", stride {s[0] if s[0] == s[1] else _size(s)}" if s != (1, 1) else ""
        out += _pad_label(self.pads, k, s)
        out += f", dil {d[0] if d[0] == d[1] else _size(d)}" if d != (1, 1) else ""
        out += f", groups {self.groups}" if self.groups != 1 else ""
        return out + ("" if self.bias else ", no bias")


@dataclass(frozen=True)
class _Pool:
    kernel: int | tuple[int, int]
    stride: int | tuple[int, int] | None = None
    pad: int | tuple | str = 0
    ceil_mode: bool = False

    def __post_init__(self):
        """Check every argument; TypeError or ValueError naming it."""
        kind = type(self).__name__
        k = pair(f"{kind} kernel", self.kernel, 1)
        if self.stride is not None:
            pair(f"{kind} stride", self.stride, 1)
        pads = padding(f"{kind} pad", self.pad)
        if pads != "same" and (max(pads[:2]) > k[0] // 2 or max(pads[2:]) > k[1] // 2):
            raise ValueError(
                f"{kind} pad must be at most half the kernel on each side "
                f"(as in torch.nn), got pad {self.pad!r} for kernel {_size(k)}"
            )
        if not isinstance(self.ceil_mode, bool):
            raise TypeError(f"{kind} ceil_mode must be a bool, got {self.ceil_mode!r}")

    @property
    def kernel_hw(self) -> tuple[int, int]:
        """(kh, kw)."""
        return pair("kernel", self.kernel, 1)

    @property
    def stride_hw(self) -> tuple[int, int]:
        """(sh, sw); the kernel when `stride` is None, as in torch.nn."""
        return self.kernel_hw if self.stride is None else pair("stride", self.stride, 1)

    dilation_hw = (1, 1)

    @property
    def pads(self):
        """(top, bottom, left, right), or "same"."""
        return padding("pad", self.pad)

    def _label(self, word: str) -> str:
        k, s = self.kernel_hw, self.stride_hw
        out = f"{word} {_size(k)}, stride {s[0] if s[0] == s[1] else _size(s)}"
        pads = self.pads
        out += "" if pads == (0, 0, 0, 0) else _pad_label(pads, (0, 0), (0, 0))
        return out + (", ceil" if self.ceil_mode else "")


@dataclass(frozen=True)
class MaxPool(_Pool):
    """Max over windows, as ``torch.nn.MaxPool2d`` (stride defaults to kernel)."""

    @property
    def name(self) -> str:
        """Label, e.g. ``Pool 2x2, stride 2``."""
        return self._label("Pool")


@dataclass(frozen=True)
class AvgPool(_Pool):
    """Mean over windows, as ``torch.nn.AvgPool2d`` (stride defaults to kernel)."""

    @property
    def name(self) -> str:
        """Label, e.g. ``AvgPool 3x3, stride 2``."""
        return self._label("AvgPool")


@dataclass(frozen=True)
class GlobalAvgPool:
    """Mean over all positions: (H, W, C) -> (1, 1, C)."""

    name = "GlobalAvgPool"


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation: 2C trainable parameters, 2C running buffers."""

    name = "BatchNorm"


@dataclass(frozen=True)
class ReLU:
    """Elementwise max(x, 0)."""

    name = "ReLU"


@dataclass(frozen=True)
class Flatten:
    """(H, W, C) -> (1, 1, H W C): every output sees every position."""

    name = "Flatten"


@dataclass(frozen=True)
class Linear:
    """Fully connected layer on a 1x1 map (after Flatten or GlobalAvgPool)."""

    features: int
    bias: bool = True

    def __post_init__(self):
        """Check every argument; TypeError or ValueError naming it."""
        check_int("Linear features", self.features, 1)
        if not isinstance(self.bias, bool):
            raise TypeError(f"Linear bias must be a bool, got {self.bias!r}")

    @property
    def name(self) -> str:
        """Label, e.g. ``Linear 1000``."""
        return f"Linear {self.features}" + ("" if self.bias else ", no bias")


SIMPLE = (Conv, MaxPool, AvgPool, GlobalAvgPool, BatchNorm, ReLU, Flatten, Linear)


def _check_path(name: str, path, allow_empty: bool) -> tuple:
    if not isinstance(path, list | tuple):
        raise TypeError(
            f"Residual {name} must be a list of layer specs, got {type(path).__name__}"
        )
    if not path and not allow_empty:
        raise ValueError(f"Residual {name} must hold at least one layer spec, got []")
    for i, spec in enumerate(path):
        if not isinstance(spec, SIMPLE + (Residual,)):
            raise ValueError(
                f"Residual {name}[{i}] is {spec!r}, not a layer spec; expected "
                "Conv, MaxPool, AvgPool, GlobalAvgPool, BatchNorm, ReLU, Flatten, "
                "Linear or Residual"
            )
    return tuple(path)


@dataclass(frozen=True)
class Residual:
    """Sum of two paths from the same input: `body` and `shortcut`.

    Parameters
    ----------
    body : non-empty list of specs
    shortcut : list of specs or None
        None (or []) is the identity. The two paths' output shapes must
        agree, which is checked once the input shape is known.
    """

    body: tuple
    shortcut: tuple | None = None

    def __post_init__(self):
        """Check both paths hold layer specs; store them as tuples."""
        object.__setattr__(self, "body", _check_path("body", self.body, False))
        if self.shortcut is not None:
            path = _check_path("shortcut", self.shortcut, True)
            object.__setattr__(self, "shortcut", path or None)

    @property
    def name(self) -> str:
        """Label, e.g. ``Residual (5 layers, projection)``."""
        extra = ", projection" if self.shortcut else ""
        return f"Residual ({len(self.body)} layers{extra})"


LAYER_KINDS = SIMPLE + (Residual,)
