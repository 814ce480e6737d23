r"""Growing a trained network without changing it: Problem 3's initializations.

`widen` and `deepen` return the parameters of a larger network made from a
trained one, with the new parameters chosen by a named strategy.

Networks are lists of per-layer dicts ``{"W": (D_in, D_out), "b": (D_out,)}``
as in `nnlab.mlp`, a ReLU after every layer but the last.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from nnlab.init import check_rng, kaiming_normal, zeros
from nnlab.mlp import check_params
from nnlab.validate import check_choice, check_int

STRATEGIES = ("zero", "kaiming", "preserve", "net2net")


class Expansion(NamedTuple):
    """Where a network grew.

    ``kind`` is "widen" or "deepen", ``layer`` the hidden layer index given
    to `widen` / `deepen`, and ``old_width`` that layer's width before.
    """

    kind: str
    layer: int
    old_width: int


def _check_plain(params) -> None:
    if not isinstance(params, list | tuple) or len(params) < 2:
        raise ValueError(
            "params must be a list of at least 2 layer dicts (one hidden layer), "
            f"got {params!r:.60}"
        )
    for i, layer in enumerate(params):
        if not isinstance(layer, dict) or set(layer) != {"W", "b"}:
            keys = sorted(layer) if isinstance(layer, dict) else type(layer).__name__
            raise ValueError(
                f"params layer {i} must be a dict with exactly 'W' and 'b' (a plain "
                f"ReLU layer, no batch norm), got {keys}"
            )
    check_params(params)


def _check_hidden(name: str, index, params) -> int:
    last = len(params) - 2
    index = check_int(name, index)
    if not 0 <= index <= last:
        raise ValueError(
            f"{name} must be a hidden layer index in [0, {last}] for a network of "
            f"{len(params)} layers, got {index}"
        )
    return index


def _copy(params) -> list[dict]:
    return [{k: v.copy() for k, v in layer.items()} for layer in params]


def widen(
    params,
    layer: int,
    new_width: int,
    strategy: str,
    rng: np.random.Generator,
    noise: float = 0.0,
) -> list[dict]:
    r"""Grow hidden layer `layer` of a network to `new_width` units.

    Parameters
    ----------
    params : list of dict
        A plain ReLU network (`nnlab.mlp`, no batch norm); not modified.
    layer : int
        Hidden layer index in [0, len(params) - 2]: its units are the
        columns of ``params[layer]["W"]`` and the rows of
        ``params[layer + 1]["W"]``.
    new_width : int
        Larger than the current width H.
    strategy : {"zero", "kaiming", "preserve", "net2net"}
        How to set the k = new_width - H new units (see Notes).
    rng : numpy Generator
    noise : float
        net2net only: the relative spread of the split of outgoing weights
        among copies (0 splits them evenly).

    Returns
    -------
    list of dict
        New arrays throughout; the new units are the last k columns of
        ``W`` and entries of ``b`` in layer `layer`, and the last k rows of
        ``W`` in layer ``layer + 1``.

    Notes
    -----
    With incoming weights :math:`W_{in}` (D, H), bias :math:`b` and outgoing weights
    :math:`W_{out}` (H, M):

    - ``zero``: new columns of :math:`W_{in}`, entries of :math:`b`, rows of
      :math:`W_{out}` all 0.
    - ``kaiming``: new incoming weights from :math:`\mathcal N(0, 2/D)`, new
      outgoing weights from :math:`\mathcal N(0, 2/\mathrm{new\_width})` (the
      next layer's new fan-in), new biases 0.
    - ``preserve``: new incoming weights from :math:`\mathcal N(0, 2/D)`, new
      biases and outgoing weights 0. The new units compute something, but
      the next layer ignores it until its new rows move, so the output is
      unchanged.
    - ``net2net`` (Net2WiderNet): new unit j copies a random old unit
      g(j): its incoming column and bias. Every unit i whose group
      :math:`G_i = \{i\} \cup \{j : g(j) = i\}` has :math:`c_i` members gets the
      outgoing row :math:`s_j W_{out}[i]` with :math:`\sum_{j \in G_i} s_j = 1`:
      :math:`s_j = 1/c_i`, plus ``noise`` times zero-mean Gaussian noise when
      `noise` > 0. Copies have equal activations, so the output is
      :math:`\sum_i h_i W_{out}[i] \sum_{j\in G_i} s_j`: unchanged, noise or not.

    References
    ----------
    T. Chen, I. Goodfellow, J. Shlens, "Net2Net: Accelerating Learning via
    Knowledge Transfer", ICLR 2016.
    """
    _check_plain(params)
    layer = _check_hidden("layer", layer, params)
    check_choice("strategy", strategy, STRATEGIES)
    check_rng(rng)
    D, H = params[layer]["W"].shape
    M = params[layer + 1]["W"].shape[1]
    new_width = check_int("new_width", new_width)
    if new_width <= H:
        raise ValueError(
            f"new_width must be larger than the current width {H} of layer {layer}, "
            f"got {new_width}"
        )
    if noise and strategy != "net2net":
        raise ValueError(f"noise applies to strategy 'net2net' only, got {strategy!r}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a real number, got {type(noise).__name__}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    k = new_width - H
    new = _copy(params)
    W_in, b, W_out = params[layer]["W"], params[layer]["b"], params[layer + 1]["W"]
    if strategy == "net2net":
        g = np.concatenate([np.arange(H), rng.integers(0, H, k)])  # (new_width,)
        counts = np.bincount(g, minlength=H)  # (H,) group sizes c_i
        share = 1.0 / counts[g]  # (new_width,)
        if noise > 0:
            eps = rng.standard_normal(new_width)
            eps -= (np.bincount(g, eps, minlength=H) / counts)[g]  # zero group means
            share = share + noise * share * eps
        new[layer]["W"] = W_in[:, g]  # (D, new_width)
        new[layer]["b"] = b[g]
        new[layer + 1]["W"] = W_out[g] * share[:, None]  # (new_width, M)
        return new
    if strategy == "zero":
        add_in, add_out = zeros(D, k), zeros(k, M)
    else:
        add_in = kaiming_normal(D, k, rng)
        if strategy == "kaiming":  # the next layer's fan-in is now new_width
            add_out = np.sqrt(2.0 / new_width) * rng.standard_normal((k, M))
        else:
            add_out = zeros(k, M)
    new[layer]["W"] = np.concatenate([W_in, add_in], axis=1)  # (D, new_width)
    new[layer]["b"] = np.concatenate([b, zeros(k)])
    new[layer + 1]["W"] = np.concatenate([W_out, add_out], axis=0)  # (new_width, M)
    return new


def deepen(
    params, after_layer: int, strategy: str, rng: np.random.Generator
) -> list[dict]:
    r"""Insert a new hidden layer after hidden layer `after_layer`.

    Parameters
    ----------
    params : list of dict
        A plain ReLU network; not modified.
    after_layer : int
        Hidden layer index in [0, len(params) - 2]; the new layer, of the
        same width H, becomes ``params[after_layer + 1]``.
    strategy : {"zero", "kaiming", "preserve", "net2net"}
    rng : numpy Generator

    Returns
    -------
    list of dict
        One layer longer, new arrays throughout.

    Notes
    -----
    - ``zero``: W = 0 (H, H), b = 0.
    - ``kaiming``: W from :math:`\mathcal N(0, 2/H)`, b = 0.
    - ``preserve`` and ``net2net`` (Net2DeeperNet): W = I, b = 0. The new
      layer's input h is a ReLU output, so :math:`h \ge 0` and
      :math:`\mathrm{ReLU}(h I + 0) = h`: the network is unchanged. (After the
      input layer this would not hold: inputs can be negative.)
    """
    _check_plain(params)
    after_layer = _check_hidden("after_layer", after_layer, params)
    check_choice("strategy", strategy, STRATEGIES)
    check_rng(rng)
    H = params[after_layer]["W"].shape[1]
    if strategy == "zero":
        W = zeros(H, H)
    elif strategy == "kaiming":
        W = kaiming_normal(H, H, rng)
    else:
        W = np.eye(H)
    new = _copy(params)
    new.insert(after_layer + 1, {"W": W, "b": zeros(H)})
    return new


def new_parameters(params, expansion: Expansion) -> dict:
    """Return views into `params` of the parameters an expansion added.

    For "widen": ``W_in`` (D, k), ``b_in`` (k,), ``W_out`` (k, M), the new
    units' incoming weights, biases and outgoing weights. For "deepen":
    ``W`` (H, H) and ``b`` (H,) of the inserted layer. Works on the
    gradients of the expanded network too (same structure).
    """
    _check_expansion(expansion, params)
    kind, layer, old = expansion
    if kind == "widen":
        return {
            "W_in": params[layer]["W"][:, old:],
            "b_in": params[layer]["b"][old:],
            "W_out": params[layer + 1]["W"][old:, :],
        }
    return {"W": params[layer + 1]["W"], "b": params[layer + 1]["b"]}


def _check_expansion(expansion, params) -> None:
    if not isinstance(expansion, tuple) or len(expansion) != 3:
        raise TypeError(
            f"expansion must be an Expansion (kind, layer, old_width), got "
            f"{expansion!r:.60}"
        )
    check_params(params)
    kind, layer, old = expansion
    check_choice("expansion kind", kind, ("widen", "deepen"))
    layer = _check_hidden("expansion layer", layer, params)
    old = check_int("expansion old_width", old, 1)
    if kind == "widen" and old >= params[layer]["W"].shape[1]:
        raise ValueError(
            f"expansion old_width must be below the width "
            f"{params[layer]['W'].shape[1]} of layer {layer}, got {old}"
        )
    if kind == "deepen" and layer + 1 >= len(params) - 1:
        raise ValueError(
            f"expansion layer {layer} has no inserted hidden layer after it in a "
            f"network of {len(params)} layers"
        )
