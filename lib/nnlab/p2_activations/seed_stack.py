r"""Networks and data sets with a leading seed axis, for `nnlab.p2_activations.batched`.

A network is a list of per-layer dicts as in `nnlab.mlp`, each array with
the seed axis in front: ``"W"`` (S, D_in, D_out), ``"b"`` (S, D_out) and,
in hidden layers, ``"gamma"``, ``"beta"`` (S, D_out). `stack_params` builds
one from per-seed networks, so slice s is exactly ``init_bn_mlp(..., seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnlab.data import Split, check_split
from nnlab.mlp import check_params
from nnlab.p2_activations.bn_mlp import init_bn_mlp
from nnlab.validate import check_array, check_int


def check_seed_params(params) -> None:
    """Check a network with a leading seed axis (see the module docstring).

    Raises
    ------
    TypeError, ValueError
        If it is not a list of layer dicts of floating arrays with one seed
        axis S in front, hidden layers with gamma and beta, shapes that fit.
    """
    if not isinstance(params, list | tuple) or not params:
        raise TypeError(
            f"params must be a non-empty list of layer dicts, got {params!r:.60}"
        )
    S = None
    for i, layer in enumerate(params):
        if not isinstance(layer, dict) or "W" not in layer or "b" not in layer:
            raise TypeError(f"params layer {i} must be a dict with 'W' and 'b'")
        for k, v in layer.items():
            check_array(f"params layer {i} {k!r}", v, 3 if k == "W" else 2)
        W = layer["W"]
        S = W.shape[0] if S is None else S
        for k, v in layer.items():
            want = (S, *W.shape[1:]) if k == "W" else (S, W.shape[2])
            if v.shape != want:
                raise ValueError(
                    f"params layer {i} {k!r} must have shape {want}, got {v.shape}"
                )
        if i and W.shape[1] != params[i - 1]["W"].shape[2]:
            raise ValueError(
                f"params layer {i} takes {W.shape[1]} inputs but layer {i - 1} "
                f"gives {params[i - 1]['W'].shape[2]}"
            )
        if ("gamma" in layer) != ("beta" in layer) or (
            ("gamma" in layer) == (i == len(params) - 1)
        ):
            raise ValueError(
                f"params layer {i}: every hidden layer holds gamma and beta, the "
                f"output layer neither; got {sorted(layer)}"
            )


def stack_params(nets: Sequence[list]) -> list[dict]:
    """One network with a leading seed axis from S networks of equal shapes.

    Parameters
    ----------
    nets : sequence of list of dict
        S networks in the layout of `nnlab.mlp`, all of one architecture.

    Returns
    -------
    list of dict
        Per layer each array stacked on a new axis 0 (new arrays).

    Raises
    ------
    TypeError, ValueError
        If `nets` is empty or a network is malformed or differs in shape.
    """
    if isinstance(nets, str) or not isinstance(nets, Sequence) or not nets:
        raise ValueError(f"nets must hold at least one network, got {nets!r:.60}")
    for j, net in enumerate(nets):
        check_params(net)
        shapes = [{k: v.shape for k, v in layer.items()} for layer in net]
        first = [{k: v.shape for k, v in layer.items()} for layer in nets[0]]
        if shapes != first:
            raise ValueError(
                f"nets must share one architecture: network 0 has {first}, "
                f"network {j} has {shapes}"
            )
    return [
        {k: np.stack([net[i][k] for net in nets]) for k in nets[0][i]}
        for i in range(len(nets[0]))
    ]


def unstack_params(params: list[dict], s: int) -> list[dict]:
    """Return the network of seed `s` (copies), in the layout of `nnlab.mlp`.

    Raises
    ------
    TypeError, ValueError
        If `params` is malformed or `s` is not a seed index.
    """
    check_seed_params(params)
    S = params[0]["W"].shape[0]
    s = check_int("s", s, 0)
    if s >= S:
        raise ValueError(f"s must be a seed index in [0, {S}), got {s}")
    return [{k: v[s].copy() for k, v in layer.items()} for layer in params]


def init_bn_mlp_seeds(
    depth: int, width: int, seeds: Sequence[int], d_in: int = 2, classes: int = 2
) -> list[dict]:
    """`nnlab.p2_activations.bn_mlp.init_bn_mlp` for every seed, stacked on axis 0.

    Raises
    ------
    TypeError, ValueError
        If `seeds` is not a non-empty sequence of ints, or a size is not an
        integer >= 1.
    """
    if isinstance(seeds, str) or not isinstance(seeds, Sequence) or not seeds:
        raise ValueError(f"seeds must hold at least one seed, got {seeds!r:.60}")
    return stack_params([init_bn_mlp(depth, width, s, d_in, classes) for s in seeds])


def stack_splits(splits: Sequence[Split]) -> Split:
    """S data sets of equal sizes as one Split with a leading seed axis.

    Raises
    ------
    TypeError, ValueError
        If `splits` is empty, a split is malformed or sizes differ.
    """
    if isinstance(splits, str) or not isinstance(splits, Sequence) or not splits:
        raise ValueError(f"splits must hold at least one Split, got {splits!r:.60}")
    first = check_split(splits[0])
    for j, split in enumerate(splits):
        split = check_split(split)
        if [a.shape for a in split] != [a.shape for a in first]:
            raise ValueError(
                f"splits must share their sizes: split 0 has "
                f"{[a.shape for a in first]}, split {j} has {[a.shape for a in split]}"
            )
    return Split(*(np.stack(parts) for parts in zip(*splits, strict=True)))
