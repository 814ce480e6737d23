"""Layer normalization over the D features of every step of a sequence.

For x of shape (T, D) or (N, T, D), each step is normalized by the mean and
variance of its own D features, so y[t] depends on x[t] alone: the
comparison of notebook 4 for sequence normalization
(`nnlab.p4_seqnorm.seqnorm`), which mixes time steps.
"""

from __future__ import annotations

import numpy as np

from nnlab.norm import check_affine, shifted_moments
from nnlab.validate import check_array, check_dout, check_positive


def layernorm_forward(x, gamma, beta, eps: float = 1e-5):
    """Layer normalization: normalize over the D features at every step.

    Parameters
    ----------
    x : (T, D) or (N, T, D) ndarray
    gamma, beta : (D,) ndarray
    eps : float

    Returns
    -------
    out : ndarray shaped like x
    cache : tuple
        ``(xhat, gamma, inv_std)``, inv_std of shape (..., T, 1).

    Raises
    ------
    TypeError
        If x, gamma or beta is not a floating ndarray, or eps not a number.
    ValueError
        If x is not 2-D or 3-D, has an empty axis or NaN/inf; gamma or beta
        is not (D,) or not finite; eps is not > 0.

    Notes
    -----
    Ba, Kiros and Hinton (2016), "Layer normalization", arXiv:1607.06450.
    Each y[t] depends on x[t] alone, so it never mixes time steps. The
    statistics are `nnlab.norm.shifted_moments`'s: a step whose D features
    are all equal gives exactly beta.
    """
    check_array("x", x, (2, 3), "(T, D) or (N, T, D)")
    check_affine(gamma, beta, x.shape[-1])
    check_positive("eps", eps)
    _, xc, var = shifted_moments(x, axis=-1)  # var (..., T, 1)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv_std  # (..., T, D)
    return gamma * xhat + beta, (xhat, gamma, inv_std)


def layernorm_backward(dout, cache):
    r"""Backward pass of `layernorm_forward`.

    Parameters
    ----------
    dout : ndarray shaped like the forward's output
    cache : tuple
        From `layernorm_forward`.

    Returns
    -------
    dx : ndarray shaped like x
    dgamma, dbeta : (D,) ndarray

    Raises
    ------
    TypeError
        If `dout` is not a floating ndarray.
    ValueError
        If `dout` is not shaped like the forward's output or is not finite.

    Notes
    -----
    With :math:`g = \gamma \, dout` and s the standard deviation of step t,

    .. math:: \frac{\partial L}{\partial x_{tj}} = \frac{1}{D s_t}
              \Big(D g_{tj} - \sum_k g_{tk} - \hat x_{tj} \sum_k g_{tk}
              \hat x_{tk}\Big).
    """
    xhat, gamma, inv_std = cache
    check_dout(dout, xhat.shape)
    D = xhat.shape[-1]
    lead = tuple(range(xhat.ndim - 1))
    g = dout * gamma
    dx = (
        D * g
        - g.sum(axis=-1, keepdims=True)
        - xhat * (g * xhat).sum(axis=-1, keepdims=True)
    ) * (inv_std / D)
    return dx, (dout * xhat).sum(axis=lead), dout.sum(axis=lead)
