"""A 2D RNN module in place of a convolution: RNN A along rows, RNN B down columns.

RNN A runs left to right along every row of x and produces H^A; RNN B runs
top to bottom along every column of H^A and produces H^B, the output. Every
row (then every column) of every image advances together, so a sweep is one
batched `nnlab.rnn.rnn_step_forward` per column (then per row): W + H
dependent steps in all. The four-direction variant (ReNet) runs both
directions in each sweep and concatenates them.

The module's FLOPs, by formula and counted, are in `nnlab.p6_rnn2d.costs`;
its receptive fields in `nnlab.p6_rnn2d.fields`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from nnlab.rnn import rnn_step_backward, rnn_step_forward
from nnlab.validate import check_array, check_dout, check_int

# Sweep name -> (direction suffixes, reversed?) for the two module variants.
_ONE_WAY = {"a": (("a", False),), "b": (("b", False),)}
_FOUR_WAY = {
    "a": (("a", False), ("a_rev", True)),
    "b": (("b", False), ("b_rev", True)),
}


class Rnn2dCache(NamedTuple):
    """What `rnn2d_backward` / `renet_backward` need from the forward pass."""

    x_shape: tuple
    dirs: dict  # _ONE_WAY or _FOUR_WAY
    steps_a: dict  # suffix -> list of step caches, indexed by column
    steps_b: dict  # suffix -> list of step caches, indexed by row
    hidden: int  # Hd


def param_shapes(C: int, Hd: int, four_way: bool = False) -> dict:
    """Shape of every parameter of the module.

    Parameters
    ----------
    C : int
        Input channels.
    Hd : int
        Hidden size of every RNN (one direction).
    four_way : bool
        False for the one-way module (`rnn2d_forward`), True for ReNet
        (`renet_forward`), whose B RNNs read the 2 Hd channels of H^A.

    Returns
    -------
    dict
        key -> shape tuple, in the order the module uses them.

    Raises
    ------
    TypeError
        If `C` or `Hd` is not an integer (bools refused).
    ValueError
        If `C` or `Hd` is less than 1.
    """
    C, Hd = check_int("C", C, 1), check_int("Hd", Hd, 1)
    dirs = _FOUR_WAY if four_way else _ONE_WAY
    d_in = {"a": C, "b": Hd * len(dirs["a"])}
    shapes = {}
    for sweep, suffixes in dirs.items():
        for s, _ in suffixes:
            shapes[f"Wx_{s}"] = (d_in[sweep], Hd)
            shapes[f"Wh_{s}"] = (Hd, Hd)
            shapes[f"b_{s}"] = (Hd,)
    return shapes


def init_rnn2d(
    C: int, Hd: int, four_way: bool = False, rng: np.random.Generator | int = 0
) -> dict:
    """Random parameters for the one-way module or ReNet.

    Weights are drawn from N(0, 1 / fan_in) (Xavier/LeCun scaling, which
    keeps the tanh pre-activations of order one); biases are zero.

    Parameters
    ----------
    C, Hd, four_way : see `param_shapes`.
    rng : numpy Generator or int seed
        A seed must be an integer >= 0.

    Returns
    -------
    dict of float64 ndarrays, keys and shapes as in `param_shapes`.

    Raises
    ------
    TypeError, ValueError
        As `param_shapes`, or for a seed that is not an integer >= 0.
    """
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(check_int("rng", rng, 0))
    params = {}
    for key, shape in param_shapes(C, Hd, four_way).items():
        if key.startswith("b_"):
            params[key] = np.zeros(shape)
        else:
            params[key] = rng.standard_normal(shape) / np.sqrt(shape[0])
    return params


def _validate(x, params, four_way: bool) -> int:
    """Check x and params; return the hidden size Hd (read from Wx_a)."""
    check_array("x", x, 4, "(N, H, W, C)")
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict, got {type(params).__name__}")
    C = x.shape[3]
    wx = params.get("Wx_a")
    if wx is not None:
        check_array("params['Wx_a']", wx, 2, "(C, Hd)")
    if wx is None or wx.shape[0] != C:
        got = "missing" if wx is None else f"got {wx.shape}"
        raise ValueError(
            f"params['Wx_a'] must have shape (C, Hd) with C={C} from x {x.shape}, {got}"
        )
    Hd = wx.shape[1]
    expected = param_shapes(C, Hd, four_way)
    missing = [k for k in expected if k not in params]
    if missing:
        raise ValueError(
            "params is missing "
            + ", ".join(f"key {k!r} (expected shape {expected[k]})" for k in missing)
        )
    bad = [
        k
        for k in expected
        if not isinstance(params[k], np.ndarray) or params[k].shape != expected[k]
    ]
    if bad:
        raise ValueError(
            f"with C={C} and Hd={Hd} (from Wx_a): "
            + ", ".join(
                f"params[{k!r}] must have shape {expected[k]}, "
                f"got {getattr(params[k], 'shape', type(params[k]).__name__)}"
                for k in bad
            )
        )
    for k, shape in expected.items():
        check_array(f"params[{k!r}]", params[k], len(shape))
    return Hd


# Time-major layouts: a sweep reads (T, M, D), time T, batch M.
def _rows(a):
    N, H, W, D = a.shape
    return a.transpose(2, 0, 1, 3).reshape(W, N * H, D)  # (W, N*H, D)


def _from_rows(s, N: int, H: int):
    W, _, D = s.shape
    return s.reshape(W, N, H, D).transpose(1, 2, 0, 3)  # (N, H, W, D)


def _cols(a):
    N, H, W, D = a.shape
    return a.transpose(1, 0, 2, 3).reshape(H, N * W, D)  # (H, N*W, D)


def _from_cols(s, N: int, W: int):
    H, _, D = s.shape
    return s.reshape(H, N, W, D).transpose(1, 0, 2, 3)  # (N, H, W, D)


def _sweep_forward(seq, Wx, Wh, b, reverse: bool):
    """Run one RNN over time-major seq (T, M, D) from a zero state."""
    T, M, _ = seq.shape
    h = np.zeros((M, Wh.shape[0]), dtype=seq.dtype)
    hs = np.empty((T, M, Wh.shape[0]), dtype=seq.dtype)  # (T, M, Hd)
    steps = [None] * T
    for t in reversed(range(T)) if reverse else range(T):
        h, steps[t] = rnn_step_forward(seq[t], h, Wx, Wh, b, check=False)
        hs[t] = h
    return hs, steps


def _sweep_backward(dhs, steps, reverse: bool):
    """Backward of `_sweep_forward`: dhs (T, M, Hd) -> dseq, dWx, dWh, db."""
    T = dhs.shape[0]
    dseq = None
    dh_next = np.zeros_like(dhs[0])
    for t in range(T) if reverse else reversed(range(T)):
        dxt, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dhs[t] + dh_next, steps[t])
        if dseq is None:
            dseq = np.empty((T, *dxt.shape), dtype=dxt.dtype)  # (T, M, D)
            dWx, dWh, db = dWx_t, dWh_t, db_t
        else:
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        dseq[t] = dxt
    return dseq, dWx, dWh, db


def _forward(x, params, dirs):
    N, H, W, _ = x.shape
    seq = _rows(x)  # (W, N*H, C)
    steps_a, hs = {}, []
    for s, rev in dirs["a"]:
        h, steps_a[s] = _sweep_forward(
            seq, params[f"Wx_{s}"], params[f"Wh_{s}"], params[f"b_{s}"], rev
        )
        hs.append(h)
    ha = _from_rows(np.concatenate(hs, axis=-1), N, H)  # H^A: (N, H, W, k Hd)
    seq = _cols(ha)  # (H, N*W, k Hd)
    steps_b, hs = {}, []
    for s, rev in dirs["b"]:
        h, steps_b[s] = _sweep_forward(
            seq, params[f"Wx_{s}"], params[f"Wh_{s}"], params[f"b_{s}"], rev
        )
        hs.append(h)
    out = _from_cols(np.concatenate(hs, axis=-1), N, W)  # H^B: (N, H, W, k Hd)
    Hd = params["Wh_a"].shape[0]
    return out, Rnn2dCache(x.shape, dirs, steps_a, steps_b, Hd)


def _sweeps_backward(dseq_out, dirs, steps, Hd: int, dparams: dict):
    """Backward of the directions of one sweep, whose outputs are concatenated.

    dseq_out (T, M, k Hd) -> dL/d(sweep input) (T, M, D); every direction read
    the whole input, so their input gradients add.
    """
    dseq = 0.0
    for k, (s, rev) in enumerate(dirs):
        d, *dp = _sweep_backward(dseq_out[..., k * Hd : (k + 1) * Hd], steps[s], rev)
        dseq = dseq + d
        dparams.update(zip((f"Wx_{s}", f"Wh_{s}", f"b_{s}"), dp, strict=True))
    return dseq


def _backward(dout, cache: Rnn2dCache):
    x_shape, dirs, steps_a, steps_b, Hd = cache
    N, H, W, C = x_shape
    check_dout(dout, (N, H, W, Hd * len(dirs["b"])))
    dparams = {}
    dseq = _sweeps_backward(_cols(dout), dirs["b"], steps_b, Hd, dparams)
    dha = _from_cols(dseq, N, W)  # dL/dH^A: (N, H, W, k Hd)
    dseq = _sweeps_backward(_rows(dha), dirs["a"], steps_a, Hd, dparams)
    dx = _from_rows(dseq, N, H)  # (N, H, W, C)
    order = param_shapes(C, Hd, four_way=len(dirs["a"]) == 2)
    return dx, {k: dparams[k] for k in order}


def rnn2d_forward(x, params):
    r"""Forward pass of the one-way 2D RNN module (rows, then columns).

    Parameters
    ----------
    x : (N, H, W, C) ndarray
    params : dict
        ``Wx_a`` (C, Hd), ``Wh_a`` (Hd, Hd), ``b_a`` (Hd,) for RNN A and
        ``Wx_b`` (Hd, Hd), ``Wh_b`` (Hd, Hd), ``b_b`` (Hd,) for RNN B. The
        hidden size Hd is read from ``Wx_a``.

    Returns
    -------
    out : (N, H, W, Hd) ndarray
        H^B.
    cache : Rnn2dCache
        ``(x_shape, dirs, steps_a, steps_b, hidden)``: the step caches of
        every column of A and every row of B.

    Notes
    -----
    With zero initial states :math:`h^A_{i,-1} = h^B_{-1,j} = 0`,

    .. math::

        h^A_{i,j} = \tanh(x_{i,j} W_x^A + h^A_{i,j-1} W_h^A + b^A)

        h^B_{i,j} = \tanh(h^A_{i,j} W_x^B + h^B_{i-1,j} W_h^B + b^B)

    A advances the N*H rows one column at a time, B the N*W columns one
    row at a time: W + H dependent steps, each one batched matmul pair.
    Output (i, j) depends on exactly the inputs x[:i+1, :j+1].

    Raises
    ------
    TypeError
        If `x` or a parameter is not a floating ndarray, or `params` is not
        a dict.
    ValueError
        If `x` is not 4-D, has an empty axis or holds NaN or inf; a missing
        key or a parameter of the wrong shape, naming the key and the
        expected shape.

    References
    ----------
    F. Visin et al., "ReNet: A Recurrent Neural Network Based Alternative to
    Convolutional Networks", arXiv:1505.00393, 2015 (this module with one
    direction per sweep; see `renet_forward`).
    """
    _validate(x, params, four_way=False)
    return _forward(x, params, _ONE_WAY)


def rnn2d_backward(dout, cache):
    r"""Backward pass of `rnn2d_forward`.

    Parameters
    ----------
    dout : (N, H, W, Hd) ndarray
        G = dL/dH^B.
    cache : Rnn2dCache
        From `rnn2d_forward`.

    Returns
    -------
    dx : (N, H, W, C) ndarray
    dparams : dict
        Gradients with the keys and shapes of ``params``.

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of the output's shape.

    Notes
    -----
    B is back-propagated through time down each column first; its input
    gradient is dL/dH^A, which is then back-propagated along each row
    through A. Writing :math:`\delta^B_{i,j} = (G_{i,j} + \delta^B_{i+1,j}
    (W_h^B)^\top) \odot (1 - (h^B_{i,j})^2)`,
    :math:`dH^A_{i,j} = \delta^B_{i,j} (W_x^B)^\top`, and the same recursion
    along rows with dH^A in place of G gives dx and A's gradients.
    """
    return _backward(dout, cache)


def renet_forward(x, params):
    """Forward pass of the four-direction module (ReNet, Visin et al. 2015).

    Parameters
    ----------
    x : (N, H, W, C) ndarray
    params : dict
        One-way keys plus the reversed directions: ``*_a`` (left to right),
        ``*_a_rev`` (right to left), each ``Wx`` (C, Hd); ``*_b`` (top to
        bottom), ``*_b_rev`` (bottom to top), each ``Wx`` (2 Hd, Hd); every
        ``Wh`` (Hd, Hd), every ``b`` (Hd,). See `param_shapes`.

    Returns
    -------
    out : (N, H, W, 2 Hd) ndarray
        [down ; up] sweeps of the columns of H^A = [right ; left] sweeps of
        the rows of x.
    cache : Rnn2dCache

    Notes
    -----
    H^A_{i,j} summarises all of row i, so each B direction at (i, j) sees
    every row above (or below) it entirely, and the concatenation sees the
    whole image.

    References
    ----------
    F. Visin, K. Kastner, K. Cho, M. Matteucci, A. Courville, Y. Bengio,
    "ReNet: A Recurrent Neural Network Based Alternative to Convolutional
    Networks", arXiv:1505.00393, 2015.
    """
    _validate(x, params, four_way=True)
    return _forward(x, params, _FOUR_WAY)


def renet_backward(dout, cache):
    """Backward pass of `renet_forward`, as `rnn2d_backward`.

    `dout` is (N, H, W, 2 Hd); the returned ``(dx, dparams)`` has the
    twelve keys of ReNet's ``params``. Raises as `rnn2d_backward`.
    """
    return _backward(dout, cache)


def forward_backward_pair(four_way: bool = False) -> tuple[Callable, Callable]:
    """Return the forward and backward functions of one variant of the module.

    Parameters
    ----------
    four_way : bool
        False for the one-way module, True for ReNet.

    Returns
    -------
    (forward, backward)
        ``(rnn2d_forward, rnn2d_backward)`` or
        ``(renet_forward, renet_backward)``.
    """
    if four_way:
        return renet_forward, renet_backward
    return rnn2d_forward, rnn2d_backward
