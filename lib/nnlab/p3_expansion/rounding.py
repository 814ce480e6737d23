"""How far apart rounding alone can put two runs of Problem 3's networks.

A kept function is judged by comparing scores with a bound on their rounding
error (`rounding_bound`, `keep_tolerance`), and loss curves that should be
equal are compared in units in the last place (`ulps_apart`, `CURVE_ULPS`):
a wider or deeper product sums its terms in another order, so "the same"
means "within rounding", never bit for bit. `nnlab.p3_expansion.experiments`
re-exports these names.
"""

from __future__ import annotations

import numpy as np

from nnlab.mlp import check_params
from nnlab.validate import check_array


def rounding_bound(X, params) -> np.ndarray:
    r"""Bound the rounding error of the scores ``mlp_forward(X, params)``.

    Parameters
    ----------
    X : (N, D_in) ndarray
    params : list of dict
        A plain ReLU network.

    Returns
    -------
    (N, C) ndarray
        :math:`E` with :math:`|\mathrm{fl}(f(X)) - f(X)| \le E` entrywise, to
        first order in the unit roundoff :math:`u = 2^{-53}`.

    Notes
    -----
    A dot product of K terms plus a bias, summed in any order, errs by at
    most :math:`\gamma_{K+1} (|h|\,|W| + |b|)` with :math:`\gamma_n = n u / (1 - n u)`
    (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, Sec.
    3.1); an error :math:`E` already in h reaches the next layer as at most
    :math:`E\,|W|`, and a ReLU (1-Lipschitz, exact) passes it on unchanged. So

    .. math::

        E_{\ell+1} = E_\ell |W_\ell| + \gamma_{K_\ell+1}
        (|h_\ell|\,|W_\ell| + |b_\ell|), \qquad E_0 = 0.

    Whatever order a BLAS kernel sums in, the computed scores lie within E
    of the exact ones: two networks equal in exact arithmetic give scores
    that differ by at most the sum of their two bounds.
    """
    check_array("X", X, 2, "(N, D_in)")
    check_params(params)
    if X.shape[1] != params[0]["W"].shape[0]:
        raise ValueError(
            f"X must have D_in = {params[0]['W'].shape[0]} features for these "
            f"params, got shape {X.shape}"
        )
    if any("gamma" in layer for layer in params):
        raise ValueError("params must be a plain ReLU network (no gamma, beta)")
    u = np.finfo(np.float64).eps / 2
    h, E = X, np.zeros_like(X)
    for i, layer in enumerate(params):
        W, b = layer["W"], layer["b"]
        n = W.shape[0] + 1
        gamma = n * u / (1 - n * u)
        E = E @ np.abs(W) + gamma * (np.abs(h) @ np.abs(W) + np.abs(b))
        h = h @ W + b
        if i < len(params) - 1:
            h = np.maximum(h, 0)
    return E


def keep_tolerance(X, before, after) -> np.ndarray:
    """How far the scores of two networks computing one function may differ.

    ``2 * (rounding_bound(X, before) + rounding_bound(X, after))``: each
    network's scores lie within its bound of the exact ones, and the factor
    2 covers the rounding of the stored new weights themselves (net2net
    stores ``W * (1 / c)``, a few roundings of u each, against the
    ``(K + 1) u`` a layer's bound allows per term).
    """
    return 2 * (rounding_bound(X, before) + rounding_bound(X, after))


# Two runs that are one computation in exact arithmetic but sum their
# products in different orders (a zero-widened network and the narrow one:
# the wider product adds its zero terms in another order) differ per step by
# a few units in the last place (ulps). Training here is contractive: a
# relative perturbation of 1e-15 of the start moves the loss curve by less
# than 1e-15 relative at every step (measured in
# tests/test_p3_expansion_experiments.py), so these differences do not build
# up. 4 ulps were seen at most (SkylakeX kernels); 16 leaves a factor 4.
CURVE_ULPS = 16


def _as_reals(name: str, a) -> np.ndarray:
    out = np.asarray(a)
    if not np.issubdtype(out.dtype, np.number) or np.iscomplexobj(out):
        raise TypeError(f"{name} must be real numbers, got {type(a).__name__}")
    out = out.astype(np.float64)
    if not np.isfinite(out).all():
        raise ValueError(f"{name} must be finite, got {out[~np.isfinite(out)][:3]}")
    return out


def ulps_apart(a, b) -> float:
    """Largest |a - b| in units in the last place of the larger of the two."""
    a, b = _as_reals("a", a), _as_reals("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have one shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float((np.abs(a - b) / np.spacing(np.maximum(np.abs(a), np.abs(b)))).max())
