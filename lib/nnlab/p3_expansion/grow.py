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

STRATEGIES = ("zero", "kaiming", "small_out", "preserve", "net2net")
WIDEN_ONLY = ("small_out",)  # strategies `deepen` does not take
SMALL = 0.1  # "small_out": the outgoing weights' scale against Kaiming


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


def _check_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _copy(params) -> list[dict]:
    return [{k: v.copy() for k, v in layer.items()} for layer in params]


def widen(
    params,
    layer: int,
    new_width: int,
    strategy: str,
    rng: np.random.Generator,
    spread: float = 0.0,
    scale: float = SMALL,
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
    strategy : {"zero", "kaiming", "small_out", "preserve", "net2net"}
        How to set the k = new_width - H new units (see Notes).
    rng : numpy Generator
    spread : float
        net2net only: the relative spread of an uneven split of the outgoing
        weights among copies (0 splits them evenly).
    scale : float
        small_out only: the new outgoing weights' standard deviation as a
        fraction of Kaiming's, in (0, 1].

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
    - ``small_out``: as ``kaiming``, the outgoing weights multiplied by
      `scale`: the output changes by about `scale` times Kaiming's change,
      and every new parameter has a gradient from the first step.
    - ``preserve``: new incoming weights from :math:`\mathcal N(0, 2/D)`, new
      biases and outgoing weights 0. The new units compute something, but
      the next layer ignores it until its new rows move, so the output is
      unchanged.
    - ``net2net`` (Net2WiderNet): new unit j copies a random old unit
      g(j): its incoming column and bias. Every unit i whose group
      :math:`G_i = \{i\} \cup \{j : g(j) = i\}` has :math:`c_i` members gets the
      outgoing row :math:`s_j W_{out}[i]` with :math:`\sum_{j \in G_i} s_j = 1`:
      :math:`s_j = 1/c_i`, an even split, or, when `spread` > 0, an uneven
      one: :math:`s_j = (1 + \mathrm{spread}\,\epsilon_j)/c_i` with Gaussian
      :math:`\epsilon` of zero mean within each group. Copies have equal
      activations, so the output is
      :math:`\sum_i h_i W_{out}[i] \sum_{j\in G_i} s_j`: unchanged, even or not.

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
    spread = _check_real("spread", spread)
    if spread and strategy != "net2net":
        raise ValueError(f"spread applies to strategy 'net2net' only, got {strategy!r}")
    if not spread >= 0:
        raise ValueError(f"spread must be >= 0, got {spread!r}")
    scale = _check_real("scale", scale)
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale!r}")
    k = new_width - H
    new = _copy(params)
    W_in, b, W_out = params[layer]["W"], params[layer]["b"], params[layer + 1]["W"]
    if strategy == "net2net":
        g = np.concatenate([np.arange(H), rng.integers(0, H, k)])  # (new_width,)
        counts = np.bincount(g, minlength=H)  # (H,) group sizes c_i
        share = 1.0 / counts[g]  # (new_width,)
        if spread > 0:
            eps = rng.standard_normal(new_width)
            eps -= (np.bincount(g, eps, minlength=H) / counts)[g]  # zero group means
            share = share + spread * share * eps
        new[layer]["W"] = W_in[:, g]  # (D, new_width)
        new[layer]["b"] = b[g]
        new[layer + 1]["W"] = W_out[g] * share[:, None]  # (new_width, M)
        return new
    if strategy == "zero":
        add_in, add_out = zeros(D, k), zeros(k, M)
    else:
        add_in = kaiming_normal(D, k, rng)
        if strategy in ("kaiming", "small_out"):  # the next fan-in is new_width
            std = np.sqrt(2.0 / new_width) * (scale if strategy == "small_out" else 1)
            add_out = std * rng.standard_normal((k, M))
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
        ("small_out" is for widening: an inserted layer has no "outgoing"
        weights of its own.)
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
    check_choice(
        "strategy", strategy, tuple(s for s in STRATEGIES if s not in WIDEN_ONLY)
    )
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
    return _new_parameters(params, expansion)


def _new_parameters(params, expansion: Expansion) -> dict:
    """`new_parameters` without its checks, for a loop that checked once."""
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


def rescale_units(params, layer: int, factors) -> list[dict]:
    r"""Scale each unit of hidden layer `layer` in, and its outgoing row out.

    Unit i's incoming weights and bias are multiplied by ``factors[i]`` and
    its outgoing weights divided by it. A ReLU is positively homogeneous,
    :math:`\mathrm{ReLU}(f z) = f\,\mathrm{ReLU}(z)` for :math:`f > 0`, so
    the network computes the same function; gradient descent does not treat
    the two alike (see Notes).

    Parameters
    ----------
    params : list of dict
        A plain ReLU network; not modified.
    layer : int
        Hidden layer index in [0, len(params) - 2].
    factors : (H,) array_like
        One positive, finite factor a unit of that layer.

    Returns
    -------
    list of dict
        New arrays throughout.

    Notes
    -----
    Plain gradient descent (with or without momentum) on the rescaled
    parameters :math:`u = w / \alpha` moves :math:`w = \alpha u` with learning
    rate :math:`\alpha^2 \eta`. Factors :math:`\sqrt{c_i}` therefore give the
    narrow network that a net2net widening with group sizes :math:`c_i` and
    an even split trains as: incoming weights and bias at :math:`\eta / c_i`
    (each of the :math:`c_i` copies gets :math:`1/c_i` of the gradient), the
    outgoing row at :math:`c_i \eta` (the :math:`c_i` rows, each moving by the
    narrow gradient, sum to it).
    """
    _check_plain(params)
    layer = _check_hidden("layer", layer, params)
    H = params[layer]["W"].shape[1]
    f = np.asarray(factors)
    if f.shape != (H,) or not np.issubdtype(f.dtype, np.number) or np.iscomplexobj(f):
        raise ValueError(
            f"factors must be {H} real numbers, one a unit of layer {layer}, got "
            f"{factors!r:.60}"
        )
    f = f.astype(np.float64)
    if not (np.isfinite(f).all() and (f > 0).all()):
        raise ValueError(f"factors must be positive and finite, got {f[:4]}")
    new = _copy(params)
    new[layer]["W"] = params[layer]["W"] * f  # (D, H)
    new[layer]["b"] = params[layer]["b"] * f
    new[layer + 1]["W"] = params[layer + 1]["W"] / f[:, None]  # (H, M)
    return new
