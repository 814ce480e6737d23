r"""Centred finite differences and the one error metric every check uses.

Every backward pass in nnlab is checked the same way: perturb one entry of
an input by +-h, evaluate a scalar function of the forward pass, and compare
the slope with the analytic gradient by `rel_error`. `check_pair` does the
whole check for a forward/backward pair on named inputs; `numerical_gradient`
and `check_gradient` are its one-array building blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np

from nnlab.validate import (
    as_floats,
    check_array,
    check_dout,
    check_int,
    check_positive,
)

# The step of the centred difference. Its truncation error is ~h**2 * |f'''|
# and its round-off ~eps * |f| / h (eps = 2.2e-16 in float64); the sum is
# smallest near h = eps ** (1/3) ~ 6e-6. 1e-6 keeps both near 1e-10 relative
# for the O(1) values of the small checks here; a check whose gradient has
# tiny entries, or a long chain, passes a larger h (see the tests' comments).
STEP = 1e-6
# A correct float64 gradient agrees with centred differences at STEP to about
# 1e-9 on these small problems; a wrong term gives errors of 1e-2 or more, an
# indexing bug of order 1. 1e-7 separates the two with room on both sides
# (the CS231n notes call anything below 1e-7 "happy").
TOL = 1e-7


def rel_error(a, b, floor: float = 1e-8) -> float:
    """Largest elementwise relative error between two arrays.

    Parameters
    ----------
    a, b : ndarray of the same shape
    floor : float
        Added to the denominator so that entries that are both ~0 do not
        divide by zero.

    Returns
    -------
    float
        ``max |a - b| / max(|a| + |b|, floor)``, 0.0 for empty arrays.

    Notes
    -----
    This is the CS231n metric: below ~1e-7 in float64 the two agree to
    about seven significant digits wherever they are not tiny.
    """
    a = as_floats("a", a, nonempty=False)
    b = as_floats("b", b, nonempty=False)
    floor = check_positive("floor", floor)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have one shape, got a {a.shape} and b {b.shape}"
        )
    if a.size == 0:
        return 0.0
    denom = np.maximum(np.abs(a) + np.abs(b), floor)
    return float(np.max(np.abs(a - b) / denom))


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = STEP,
) -> np.ndarray:
    """Centred finite-difference gradient of ``sum(f(x) * dout)`` w.r.t. x.

    Parameters
    ----------
    f : callable
        Maps an array shaped like `x` to an array (or a scalar). It is
        called ``2 * x.size`` times; `x` is perturbed in place and restored
        after each entry, so `f` may close over `x` itself.
    x : float64 ndarray
        The point at which to differentiate.
    dout : ndarray shaped like ``f(x)``, optional
        Upstream gradient. Omitted, `f` must return a scalar (or its sum is
        taken with unit weights).
    h : float
        Step of the centred difference; the truncation error is O(h**2).

    Returns
    -------
    ndarray shaped like `x`
        ``(g(x + h e_i) - g(x - h e_i)) / (2 h)`` for every entry i, where
        ``g = sum(f(.) * dout)``.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    check_array("x", x, nonempty=False)
    h = check_positive("h", h)
    if dout is not None:
        check_array("dout", dout, nonempty=False)
    if x.dtype != np.float64:
        raise TypeError(
            f"finite differences need float64 input, got dtype {x.dtype}; "
            "cast with x.astype(np.float64)"
        )
    grad = np.zeros_like(x)
    flat_x = x.reshape(-1)  # a view: writes go into x
    flat_g = grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        plus = np.asarray(f(x), dtype=np.float64)
        flat_x[i] = old - h
        minus = np.asarray(f(x), dtype=np.float64)
        flat_x[i] = old
        if dout is None:
            flat_g[i] = (plus.sum() - minus.sum()) / (2 * h)
        else:
            flat_g[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def check_gradient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    analytic: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = STEP,
) -> float:
    """Relative error between `analytic` and the numerical gradient at x.

    For a function of one array that is not a forward/backward pair (a loss
    written as a closure, say): ``rel_error(analytic, numerical_gradient(f,
    x, dout, h))``. Pairs are checked with `check_pair`.
    """
    analytic = as_floats("analytic", analytic, nonempty=False)
    check_array("x", x, nonempty=False)
    if analytic.shape != x.shape:
        raise ValueError(
            f"analytic gradient has shape {analytic.shape}, "
            f"expected the shape of x {x.shape}"
        )
    return rel_error(analytic, numerical_gradient(f, x, dout, h))


def _copy_tree(value: Any, name: str) -> Any:
    """Return a float64 copy of an input: an array, or dicts/lists/tuples of them."""
    if isinstance(value, np.ndarray):
        if value.dtype != np.float64:
            raise TypeError(
                f"input {name} must be float64 for finite differences, got dtype "
                f"{value.dtype}; cast with .astype(np.float64)"
            )
        return value.copy()
    if isinstance(value, Mapping):
        return {k: _copy_tree(v, f"{name}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_copy_tree(v, f"{name}[{i}]") for i, v in enumerate(value))
    raise TypeError(
        f"input {name} must be a float64 ndarray, a dict or a list of them, "
        f"got {type(value).__name__}"
    )


def _leaves(value: Any, grad: Any, name: str):
    """(flat name, input array, gradient array) for every array in `value`.

    `grad` must have the structure of `value`: a dict with the same keys for
    a dict, a sequence of the same length for a list or tuple.
    """
    if isinstance(value, np.ndarray):
        g = np.asarray(grad, dtype=np.float64)
        if g.shape != value.shape:
            raise ValueError(
                f"gradient d{name} has shape {g.shape}, expected the shape of "
                f"{name} {value.shape}"
            )
        yield name, value, g.copy()  # a copy: the backward may share memory
    elif isinstance(value, dict):
        if not isinstance(grad, Mapping) or list(grad) != list(value):
            got = list(grad) if isinstance(grad, Mapping) else type(grad).__name__
            raise ValueError(
                f"gradient d{name} must be a dict with the keys {list(value)}, "
                f"got {got}"
            )
        for k, v in value.items():
            yield from _leaves(v, grad[k], f"{name}.{k}")
    else:
        if not isinstance(grad, list | tuple) or len(grad) != len(value):
            got = (
                f"{len(grad)} items"
                if isinstance(grad, list | tuple)
                else type(grad).__name__
            )
            raise ValueError(
                f"gradient d{name} must be a sequence of {len(value)} items, got {got}"
            )
        for i, (v, g) in enumerate(zip(value, grad, strict=True)):
            yield from _leaves(v, g, f"{name}[{i}]")


def check_pair(
    forward: Callable[..., tuple],
    backward: Callable[[np.ndarray, Any], Any],
    inputs: Mapping[str, Any],
    dout: np.ndarray | None = None,
    h: float = STEP,
    seed: int = 0,
    wrt: Collection[str] | None = None,
) -> dict[str, float]:
    r"""Relative error of a backward pass against centred differences, by input.

    Runs ``out, cache = forward(**inputs)`` and ``grads = backward(dout,
    cache)``, then differentiates ``L = sum(forward(**inputs)[0] * dout)``
    numerically with respect to every entry of every input array and compares
    with `rel_error`. The caller's arrays are not touched: the check works on
    float64 copies.

    Parameters
    ----------
    forward : callable
        ``forward(**inputs) -> (out, cache, ...)``; items after the cache
        (updated running statistics, say) are ignored. Configuration that is
        not differentiated (stride, causal, ...) is bound beforehand, with
        `functools.partial` or a lambda.
    backward : callable
        ``backward(dout, cache)`` returns the gradients in the order of
        `inputs`, each shaped like its input: an array for an array, a dict
        with the same keys for a dict, a sequence for a list. With one input
        it may return the bare gradient.
    inputs : dict of str to (float64 ndarray, dict or list)
        The named inputs of `forward`, in its argument order. Dicts and lists
        nest, so an MLP's ``params`` (a list of ``{"W", "b"}`` dicts) is one
        input; its arrays are named ``params[0].W``, ``params[0].b``, ...
    dout : float64 ndarray shaped like `out`, optional
        Upstream gradient; default standard normal from
        ``np.random.default_rng(seed)``.
    h : float
        Step of the centred difference; default `STEP` (see the module).
    seed : int
        Seeds the default `dout`.
    wrt : collection of str, optional
        Check only these top-level inputs (default: all); the others are
        still passed to `forward` and `backward`.

    Returns
    -------
    dict of str to float
        The flat name of every checked array (``"x"``, ``"params.Wh_a"``,
        ``"params[1].W"``), in input order, mapped to
        ``rel_error(analytic, numerical)``. Compare with `TOL` or with the
        check's own, documented threshold.

    Raises
    ------
    TypeError
        An input (or an array nested in one) is not a float64 ndarray, or is
        of a kind other than ndarray, dict, list or tuple; or `forward` does
        not return a tuple ``(out, cache, ...)``.
    ValueError
        `inputs` is empty, `wrt` names an unknown input, `h` is not a
        positive number, `dout` does not have the shape of `out`, or
        `backward` returns a different number of gradients than there are
        inputs, or a gradient of the wrong shape or structure.

    Notes
    -----
    For every entry :math:`x_i` of every input,

    .. math::

        \frac{\partial L}{\partial x_i} \approx
        \frac{L(x + h e_i) - L(x - h e_i)}{2h},
        \qquad L = \sum \mathrm{out} \odot \mathrm{dout},

    with an error of :math:`O(h^2)` plus round-off of about
    :math:`\epsilon |L| / h`. The forward runs ``2 * n + 1`` times for n
    checked entries.

    References
    ----------
    .. [1] A. Karpathy, "Gradient checks", CS231n notes on neural networks
       (part 3), https://cs231n.github.io/neural-networks-3/#gradcheck

    Examples
    --------
    >>> from nnlab.layers import linear_backward, linear_forward
    >>> rng = np.random.default_rng(0)
    >>> x, w, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), np.ones(4)
    >>> errs = check_pair(linear_forward, linear_backward, {"x": x, "w": w, "b": b})
    >>> {k: bool(v < TOL) for k, v in errs.items()}
    {'x': True, 'w': True, 'b': True}
    """
    if not isinstance(inputs, Mapping):
        raise TypeError(
            f"inputs must be a dict of named arrays, got {type(inputs).__name__}"
        )
    if not inputs:
        raise ValueError("inputs must be a non-empty dict of named arrays, got {}")
    for name, fn in (("forward", forward), ("backward", backward)):
        if not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    h = check_positive("h", h)
    seed = check_int("seed", seed, 0)
    names = list(inputs)
    checked = names if wrt is None else list(wrt)
    unknown = [n for n in checked if n not in inputs]
    if unknown:
        raise ValueError(f"wrt names unknown inputs {unknown}; the inputs are {names}")
    tree = {n: _copy_tree(v, n) for n, v in inputs.items()}
    result = forward(**tree)
    if not isinstance(result, tuple) or len(result) < 2:
        raise TypeError(
            f"forward must return (out, cache, ...), got {type(result).__name__}"
        )
    out, cache = result[:2]
    out = np.asarray(out, dtype=np.float64)
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(out.shape)
    dout = check_dout(as_floats("dout", dout, nonempty=False), out.shape)
    grads = backward(dout.copy(), cache)
    if len(names) == 1 and isinstance(grads, np.ndarray):
        grads = (grads,)
    if not isinstance(grads, list | tuple) or len(grads) != len(names):
        got = (
            f"{len(grads)} gradients"
            if isinstance(grads, list | tuple)
            else type(grads).__name__
        )
        raise ValueError(
            f"backward must return one gradient per input {names}, got {got}"
        )

    def f(_):
        return forward(**tree)[0]  # `tree` holds the array being perturbed

    # every gradient is validated before the first (slow) difference is taken
    leaves = {
        name: list(_leaves(tree[name], grad, name))
        for name, grad in zip(names, grads, strict=True)
    }
    return {
        flat: rel_error(analytic, numerical_gradient(f, value, dout, h))
        for name in checked
        for flat, value, analytic in leaves[name]
    }
