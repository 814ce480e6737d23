r"""What batch norm feeds each activation at the start, what it outputs, its slope.

Problem 2 is answered by one table: a row an activation, read off the
starting networks (no training involved, so nothing here depends on the
chaos of training). `profile` runs ``init_bn_mlp(depth, width, s)`` on
seed s's spirals in training mode for every seed and pools, over every
hidden layer, unit, point and seed:

- the activation's input x, the batch-norm output: mean :math:`\beta` and
  standard deviation :math:`|\gamma|` per unit (0 and 1 at the start), and
  its range;
- the activation's output act(x): its range and the fraction of exact zeros;
- its derivative act'(x) at those x: range, mean and the fraction of exact
  zeros (a zero derivative passes no gradient).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nnlab.activations import derivative, evaluate
from nnlab.p2_activations import study
from nnlab.p2_activations.bn_mlp import init_bn_mlp, preactivations
from nnlab.validate import check_choice, check_int


class Profile(NamedTuple):
    """One activation's row of the mechanism table (pooled over seeds).

    Every field is a float. ``x_*``: the batch-norm outputs (the activation's
    inputs); ``first_max``: the largest of them in the first hidden layer;
    ``mean_dev`` and ``sd_dev``: the largest |per-unit mean| and
    |per-unit std - 1|; ``out_*``: act(x); ``slope_*``: act'(x);
    ``*_zero``: the fraction of exact zeros.
    """

    x_min: float
    x_max: float
    first_max: float
    mean_dev: float
    sd_dev: float
    out_min: float
    out_max: float
    out_zero: float
    slope_min: float
    slope_max: float
    slope_mean: float
    slope_zero: float


def profile(
    name: str, depth: int, seeds: Sequence[int], width: int | None = None
) -> Profile:
    """Profile activation `name` in the starting networks of the given seeds.

    Parameters
    ----------
    name : str
        One of ``nnlab.p2_activations.study.NAMES``.
    depth : int
        Hidden layers, >= 1.
    seeds : sequence of int
        Seed s starts from ``init_bn_mlp(depth, width, s)`` on
        ``study.seed_spirals((s,))``, as in the study.
    width : int, optional
        Units per hidden layer; default ``study.WIDTH``.

    Returns
    -------
    Profile
    """
    check_choice("name", name, study.NAMES)
    depth = check_int("depth", depth, 1)
    width = study.WIDTH if width is None else check_int("width", width, 1)
    splits = study.seed_spirals(seeds)  # validates the seeds
    seeds = tuple(seeds)
    xs, firsts, mean_dev, sd_dev = [], [], 0.0, 0.0
    for s, sp in zip(seeds, splits, strict=True):
        pre = preactivations(sp.X, init_bn_mlp(depth, width, s), name)
        for x in pre:  # (N, width) each
            mean_dev = max(mean_dev, float(np.abs(x.mean(axis=0)).max()))
            sd_dev = max(sd_dev, float(np.abs(x.std(axis=0) - 1).max()))
        firsts.append(pre[0].max())
        xs.append(np.concatenate([x.ravel() for x in pre]))
    x = np.concatenate(xs)
    out, slope = evaluate(name, x), derivative(name, x)
    return Profile(
        float(x.min()),
        float(x.max()),
        float(max(firsts)),
        mean_dev,
        sd_dev,
        float(out.min()),
        float(out.max()),
        float(np.mean(out == 0)),
        float(slope.min()),
        float(slope.max()),
        float(slope.mean()),
        float(np.mean(slope == 0)),
    )
