"""The per-layer table of a CNN: `layer_table` and its `LayerTable`.

Shapes, parameters, FLOPs, multiply-adds and receptive fields of every
layer, as a table that renders as text and as HTML. Rows are numbered as in
the problem's table: the input is row 0, ``layers[i]`` is row ``i + 1``.

FLOP conventions (the tour's): a multiply-add is 2 FLOPs, so a convolution
costs ``2 K_h K_w (C / groups) F H_out W_out`` (`nnlab.flops.conv2d_flops`)
and a linear layer ``2 D F``; bias adds are not counted unless asked
(``count_bias=True`` adds one per output element); ReLU is 1 FLOP per
element; batch norm 2 (a scale and a shift, as at inference); max-pooling 1
FLOP per output element, or ``K_h K_w - 1`` comparisons with
``pool_flops="comparisons"``; average pooling ``K_h K_w`` per output element
(the sum and one scaling), global average pooling ``H W`` per channel; a
residual block its two paths plus one add per output element.

The MAC column counts the multiply-adds of convolutions and linear layers
only, the convention of torchvision's "GFLOPS" and of thop: half the
FLOPs of those layers, and nothing for the others.
"""

from __future__ import annotations

import html
from typing import NamedTuple

from nnlab.flops import conv2d_flops
from nnlab.p1_cnn.geometry import (
    HWC,
    check_input_shape,
    check_layers,
    field_masks,
    fields,
    step,
    steps,
)
from nnlab.p1_cnn.specs import (
    AvgPool,
    BatchNorm,
    Conv,
    GlobalAvgPool,
    Linear,
    MaxPool,
    ReLU,
    Residual,
)
from nnlab.validate import check_choice


class LayerRow(NamedTuple):
    """One row of `layer_table`; per-axis quantities are (height, width) pairs.

    ``rf`` is the unclipped receptive field, ``jump`` the input pixels
    between neighbouring outputs, ``start`` the centre of output (0, 0)'s
    field (pixel centres at 0, 1, ...), ``pad`` the effective padding (that
    field starts at pixel ``-pad``), ``full`` whether every output
    location's clipped field is the whole input. ``params`` are trainable;
    ``buffers`` are batch norm's running mean and variance.
    """

    index: int
    name: str
    shape: tuple[int, int, int]
    params: int
    buffers: int
    flops: int
    macs: int
    rf: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[float, float]
    pad: tuple[int, int]
    full: bool


def _axes(pair, fmt=str) -> str:
    return fmt(pair[0]) if pair[0] == pair[1] else f"{fmt(pair[0])}x{fmt(pair[1])}"


class LayerTable(NamedTuple):
    """Rows of `layer_table` with totals; renders as text and as HTML."""

    input_shape: tuple[int, int, int]
    rows: list[LayerRow]

    @property
    def params(self) -> int:
        """Total trainable parameters."""
        return sum(r.params for r in self.rows)

    @property
    def buffers(self) -> int:
        """Total running-statistics buffers (batch norm)."""
        return sum(r.buffers for r in self.rows)

    @property
    def flops(self) -> int:
        """Total forward FLOPs, in the conventions of `layer_table`."""
        return sum(r.flops for r in self.rows)

    @property
    def macs(self) -> int:
        """Total multiply-adds of convolutions and linear layers."""
        return sum(r.macs for r in self.rows)

    @property
    def first_full(self) -> LayerRow | None:
        """The shallowest row whose every output sees the whole input."""
        return next((r for r in self.rows if r.full), None)

    def row(self, index: int) -> LayerRow:
        """Return row `index` (1 .. number of layers; row 0 is the input)."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"index must be an integer row number, got {index!r}")
        if not 1 <= index <= len(self.rows):
            raise ValueError(f"index must be in [1, {len(self.rows)}], got {index}")
        return self.rows[index - 1]

    def _blocks(self) -> list[tuple[list[str], list[list[str]]]]:
        H, W, C = self.input_shape
        show_buf = self.buffers > 0
        head = ["#", "layer", "output HxWxC", "params"] + (["buffers"] * show_buf)
        head += ["FLOPs", "MACs"]
        cost = [["0", "Input", f"{H}x{W}x{C}", "0"] + ["0"] * show_buf + ["0", "0"]]
        field_head = ["#", "layer", "RF", "jump", "start", "eff. pad", "full field"]
        field = [["0", "Input", "1", "1", "0.0", "0", ""]]
        for r in self.rows:
            cost.append(
                [str(r.index), r.name, "x".join(map(str, r.shape)), f"{r.params:,}"]
                + [f"{r.buffers:,}"] * show_buf
                + [f"{r.flops:,}", f"{r.macs:,}"]
            )
            field.append(
                [str(r.index), r.name, _axes(r.rf), _axes(r.jump)]
                + [_axes(r.start, lambda v: f"{v:.1f}"), _axes(r.pad)]
                + ["yes" if r.full else "no"]
            )
        total = [f"{self.params:,}"] + [f"{self.buffers:,}"] * show_buf
        cost.append(["", "Total", ""] + total + [f"{self.flops:,}", f"{self.macs:,}"])
        return [(head, cost), (field_head, field)]

    def to_text(self) -> str:
        """Render as aligned plain text: costs, then receptive fields."""
        out = []
        for head, body in self._blocks():
            widths = [
                max(len(row[c]) for row in [head, *body]) for c in range(len(head))
            ]
            lines = []
            for row in [head, *body]:
                cells = [
                    v.ljust(w) if c == 1 else v.rjust(w)
                    for c, (v, w) in enumerate(zip(row, widths, strict=True))
                ]
                lines.append("  ".join(cells).rstrip())
            lines.insert(1, "-" * len(lines[0]))
            out.append("\n".join(lines))
        return "\n\n".join(out)

    def _repr_html_(self) -> str:
        (head, cost), (field_head, field) = self._blocks()
        head = head + field_head[2:]
        body = [c + f[2:] for c, f in zip(cost, field, strict=False)] + [cost[-1]]
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
        """Return the table as text (`to_text`)."""
        return self.to_text()

    def __repr__(self) -> str:
        """Return the table as text (`to_text`)."""
        return self.to_text()


def _conv_flops(spec: Conv, C: int, out) -> int:
    """`conv2d_flops` for any kernel and groups: each group is its own conv."""
    (kh, kw), g = spec.kernel_hw, spec.groups
    H_out, W_out, F = out
    if kh == kw:
        return conv2d_flops(g, H_out, W_out, C // g, F // g, kh)
    # A kh x kw window over C/g channels is a dot product of kh kw C/g pairs,
    # as a 1x1 window over kh kw C/g channels.
    return conv2d_flops(g, H_out, W_out, kh * kw * (C // g), F // g, 1)


def _check_count_bias(count_bias) -> None:
    if not isinstance(count_bias, bool):  # a truthy "no" would add the bias
        raise TypeError(
            f"count_bias must be True or False, got {type(count_bias).__name__} "
            f"{count_bias!r}"
        )


def layer_cost(
    spec, shape_in, row: int = 1, pool_flops: str = "output", count_bias: bool = False
) -> tuple[int, int, int, int]:
    """(params, buffers, FLOPs, MACs) of one layer on input `shape_in`.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.geometry.step`, or for an unknown `pool_flops`.
    """
    _check_count_bias(count_bias)
    check_choice("pool_flops", pool_flops, ("output", "comparisons"))
    shape_in = check_input_shape(shape_in)
    H, W, C = shape_in
    out = step(spec, shape_in, row).shape
    elements = out[0] * out[1] * out[2]
    if isinstance(spec, Conv):
        (kh, kw), F = spec.kernel_hw, spec.filters
        flops = _conv_flops(spec, C, out)
        params = kh * kw * (C // spec.groups) * F + F * spec.bias
        return params, 0, flops + elements * (count_bias and spec.bias), flops // 2
    if isinstance(spec, Linear):
        D, F = C, spec.features
        flops = conv2d_flops(1, 1, 1, D, F, 1)
        return D * F + F * spec.bias, 0, flops + F * (count_bias and spec.bias), D * F
    if isinstance(spec, BatchNorm):
        return 2 * C, 2 * C, 2 * elements, 0
    if isinstance(spec, ReLU):
        return 0, 0, elements, 0
    if isinstance(spec, MaxPool):
        kh, kw = spec.kernel_hw
        return 0, 0, elements * (1 if pool_flops == "output" else kh * kw - 1), 0
    if isinstance(spec, AvgPool):
        kh, kw = spec.kernel_hw
        return 0, 0, elements * kh * kw, 0
    if isinstance(spec, GlobalAvgPool):
        return 0, 0, H * W * C, 0
    if isinstance(spec, Residual):
        total = [0, 0, elements, 0]  # the add
        for path in (spec.body, spec.shortcut or ()):
            s = shape_in
            for inner in path:
                cost = layer_cost(inner, _hwc(s), row, pool_flops, count_bias)
                total = [a + b for a, b in zip(total, cost, strict=True)]
                s = step(inner, s, row).shape
        return tuple(total)
    return 0, 0, 0, 0  # Flatten


def _hwc(shape) -> HWC:
    """Mark an inner shape as (H, W, C): no channels-first check."""
    return HWC(*shape)


def layer_table(
    layers, input_shape, pool_flops: str = "output", count_bias: bool = False
) -> LayerTable:
    """Shapes, parameters, FLOPs, MACs and receptive fields of every layer.

    Parameters
    ----------
    layers : list of specs (`nnlab.p1_cnn.specs`)
    input_shape : (H, W, C) tuple of int
        Channels last; a channels-first-looking shape is refused (see
        `nnlab.p1_cnn.geometry.check_input_shape`).
    pool_flops : {"output", "comparisons"}
        1 FLOP per max-pooled output, or ``K_h K_w - 1`` comparisons.
    count_bias : bool
        Add one FLOP per output element of a layer with a bias.

    Returns
    -------
    LayerTable
        One `LayerRow` per layer (row ``i + 1`` for ``layers[i]``), totals in
        ``.params``, ``.buffers``, ``.flops`` and ``.macs``, and
        ``.first_full`` the answer to "which layer sees everything".

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.geometry.steps`, or if `pool_flops` is not one of
        the two conventions.

    Notes
    -----
    The unclipped field, jump, start and effective padding come from
    `nnlab.p1_cnn.geometry.fields`; the ``full`` flag from the exact,
    boundary-clipped fields of `nnlab.p1_cnn.geometry.field_masks`.

    References
    ----------
    V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep
    learning", arXiv:1603.07285, 2016.
    """
    check_choice("pool_flops", pool_flops, ("output", "comparisons"))
    _check_count_bias(count_bias)
    layers = check_layers(layers)
    input_shape = check_input_shape(input_shape)
    geo = steps(layers, input_shape)
    masks = field_masks(layers, input_shape)
    axes = fields(layers, input_shape)
    rows, shape_in = [], input_shape
    for i, (spec, st, (mr, mc), (fh, fw)) in enumerate(
        zip(layers, geo, masks, axes, strict=True)
    ):
        cost = layer_cost(spec, _hwc(shape_in), i + 1, pool_flops, count_bias)
        rows.append(
            LayerRow(
                i + 1,
                spec.name,
                st.shape,
                *cost,
                (fh.rf, fw.rf),
                (fh.jump, fw.jump),
                (fh.start, fw.start),
                (fh.pad, fw.pad),
                bool(mr.all() and mc.all()),
            )
        )
        shape_in = st.shape
    return LayerTable(input_shape, rows)


def read_shares(layers, input_shape) -> list[float]:
    """Share of each row's input positions that feed at least one output.

    A window whose stride exceeds its span skips inputs: a 1x1 convolution
    at stride 2 reads one position in four, and what the layer before
    computed at the other three is thrown away.

    Parameters
    ----------
    layers : list of specs (`nnlab.p1_cnn.specs`)
    input_shape : (H, W, C) tuple of int

    Returns
    -------
    list of float
        ``shares[i]`` for row ``i + 1``: the read positions of its input map
        over ``H_in * W_in`` (1.0 when every position is read).

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.geometry.steps`.
    """
    shares = []
    for st in steps(layers, input_shape):
        rows, cols = (c.any(axis=0) for c in st.conn)  # (H_in,), (W_in,)
        shares.append(float(rows.mean() * cols.mean()))
    return shares
