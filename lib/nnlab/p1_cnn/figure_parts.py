"""What Problem 1's figures modules share: the networks drawn and two plot parts.

`nnlab.p1_cnn.figures` (the notebook's registry) and
`nnlab.p1_cnn.erf_figures` both draw the problem's network and its variants
(`nnlab.p1_cnn.presets.problem1_variants`); the tables and field masks are
computed once per variant and cached.
"""

from __future__ import annotations

from functools import lru_cache

from nnlab.p1_cnn.geometry import field_masks
from nnlab.p1_cnn.presets import PROBLEM1_INPUT, problem1_variants
from nnlab.p1_cnn.summary import layer_table
from nnlab.validate import check_choice

VARIANTS = tuple(problem1_variants())


def variant_network(variant: str):
    """Return the layers of one of `VARIANTS` (ValueError naming the others)."""
    nets = problem1_variants()
    return nets[check_choice("variant", variant, nets)]


@lru_cache(maxsize=8)
def variant_table(variant: str):
    """Return the cached `layer_table` of a variant on the problem's input."""
    return layer_table(variant_network(variant), PROBLEM1_INPUT)


@lru_cache(maxsize=8)
def variant_masks(variant: str):
    """Return the cached exact field masks of a variant, one per layer."""
    return field_masks(variant_network(variant), PROBLEM1_INPUT)


def variant_row(variant: str, layer: int):
    """Return row `layer` (1 = first layer) of a variant's table."""
    rows = variant_table(variant).rows
    if not 1 <= layer <= len(rows):
        raise ValueError(f"layer must be in [1, {len(rows)}], got {layer}")
    return rows[layer - 1]


def growth_steps(ax, table, label: str, colour: str, lw: float = 2.0, x=None) -> None:
    """Step plot of a table's field side by row, first full-field row dotted.

    `x` places the rows (default: their own numbers).
    """
    x = [r.index for r in table.rows] if x is None else list(x)
    ax.step(x, [r.rf[0] for r in table.rows], where="mid", color=colour, lw=lw)
    ax.lines[-1].set_label(label)
    if table.first_full is not None:
        ax.axvline(x[table.first_full.index - 1], color=colour, ls=":", lw=1.5)


def input_side_line(ax, side: int) -> None:
    """Draw a grey line at the input side, labelled under its right end."""
    ax.axhline(side, color="0.5", lw=1)
    ax.text(
        0.99,
        side,
        f"input side {side}",
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="top",
        color="0.3",
        fontsize=9,
    )
