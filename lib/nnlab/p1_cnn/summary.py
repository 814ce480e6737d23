"""The per-layer table of a CNN: `layer_table` and its `LayerTable`.

Shapes, parameters, FLOPs and receptive fields of every layer, as a table
that renders as text and as HTML.

FLOP conventions (the tour's): a multiply-add is 2 FLOPs, so a convolution
costs ``2 K^2 C F H_out W_out``; bias adds are not counted unless asked
(``count_bias=True`` adds ``F H_out W_out``); ReLU is 1 FLOP per element;
max-pooling 1 FLOP per output element, or ``K^2 - 1`` comparisons per output
element with ``pool_flops="comparisons"``.

`layer_table` works these out on paper; `nnlab.p1_cnn.network.measure` runs the
kernels and reads the same quantities off the arrays, so the two can be
compared.
"""

from __future__ import annotations

import html
from typing import NamedTuple

from nnlab.flops import conv2d_flops
from nnlab.p1_cnn.specs import (
    Conv,
    ReLU,
    check_input_shape,
    check_layers,
    field_masks,
    layer_window,
    output_shapes,
)
from nnlab.validate import check_choice


class LayerRow(NamedTuple):
    """One row of `layer_table`.

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


class LayerTable(NamedTuple):
    """Rows of `layer_table` with totals; renders as text and as HTML."""

    input_shape: tuple[int, int, int]
    rows: list[LayerRow]

    @property
    def params(self) -> int:
        """Total number of parameters over all layers."""
        return sum(r.params for r in self.rows)

    @property
    def flops(self) -> int:
        """Total forward FLOPs over all layers, in the conventions of `layer_table`."""
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
        """Render the table as aligned plain text, input row first."""
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
        """Return the table as text (`to_text`)."""
        return self.to_text()

    def __repr__(self) -> str:
        """Return the table as text (`to_text`)."""
        return self.to_text()


def layer_table(
    layers, input_shape, pool_flops: str = "output", count_bias: bool = False
) -> LayerTable:
    r"""Shapes, parameters, FLOPs and receptive fields of every layer.

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
    LayerTable
        One `LayerRow` per layer, totals in ``.params`` and ``.flops``,
        ``.first_full`` the answer to "which layer sees everything".

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.specs.output_shapes`, or if `pool_flops` is not one
        of the two conventions.

    Notes
    -----
    Receptive field recursion with kernel k, stride s, pad p:

    .. math::
        rf_{out} = rf_{in} + (k - 1)\, jump_{in}, \qquad
        jump_{out} = s\, jump_{in}, \qquad
        start_{out} = start_{in} + \left(\frac{k - 1}{2} - p\right) jump_{in}

    The ``full`` flag comes from the exact, boundary-clipped fields of
    `nnlab.p1_cnn.specs.field_masks`.

    References
    ----------
    V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep
    learning", arXiv:1603.07285, 2016.
    """
    check_choice("pool_flops", pool_flops, ("output", "comparisons"))
    layers = check_layers(layers)
    input_shape = check_input_shape(input_shape)
    shapes = output_shapes(layers, input_shape)
    masks = field_masks(layers, input_shape)
    rf, jump, start = 1, 1, 0.0
    shape_in = input_shape
    rows = []
    for i, (spec, shape, (mr, mc)) in enumerate(
        zip(layers, shapes, masks, strict=True)
    ):
        k, s, p = layer_window(spec, i)
        rf, start = rf + (k - 1) * jump, start + ((k - 1) / 2 - p) * jump
        jump *= s
        H_out, W_out, C_out = shape
        params = flops = 0
        if isinstance(spec, Conv):
            params = (k * k * shape_in[2] + 1) * C_out
            flops = conv2d_flops(1, H_out, W_out, shape_in[2], C_out, k)
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
    return LayerTable(input_shape, rows)
