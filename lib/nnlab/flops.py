"""Counting the FLOPs that numpy matmuls actually perform.

`count_flops` calls a function with its array arguments wrapped in an
ndarray subclass that logs every ``np.matmul`` (``@``) they take part in,
however deep inside the function, and returns the function's result with a
`FlopLog`. A formula for a kernel's cost can then be checked against the
products the kernel really computes (see `nnlab.p6_rnn2d.costs.measured_flops`).

A multiply-add counts as 2 FLOPs: ``(m, k) @ (k, n)`` is 2 m k n.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from nnlab.validate import check_int

# A stack of logs so that a count inside a count does not leak outwards.
_LOGS: list[list] = []
_UNCOUNTED = {np.dot, np.vdot, np.inner, np.outer, np.tensordot, np.einsum, np.kron}


class _Counted(np.ndarray):
    """An ndarray view whose matmuls are logged while `count_flops` runs."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = [a.view(np.ndarray) if isinstance(a, _Counted) else a for a in inputs]
        if out is not None:
            kwargs["out"] = tuple(
                o.view(np.ndarray) if isinstance(o, _Counted) else o for o in out
            )
        result = getattr(ufunc, method)(*plain, **kwargs)
        if ufunc is np.matmul and method == "__call__" and _LOGS:
            _LOGS[-1].append(_matmul_flops(plain[0], plain[1]))
        if out is not None:
            return out[0] if len(out) == 1 else out
        if isinstance(result, np.ndarray):
            return result.view(_Counted)
        return result

    def __array_function__(self, func, types, args, kwargs):
        # A product through np.dot or einsum would escape the count: refuse.
        if func in _UNCOUNTED:
            raise TypeError(f"count_flops sees only matmul (@), got np.{func.__name__}")
        return super().__array_function__(func, types, args, kwargs)


def _matmul_flops(a, b) -> tuple[int, int]:
    """Count (performed, nonzero) FLOPs of np.matmul(a, b), batch dims included."""
    a2 = a[None, :] if a.ndim == 1 else a  # (..., m, k)
    b2 = b[:, None] if b.ndim == 1 else b  # (..., k, n)
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    m, k, n = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    performed = 2 * int(np.prod(batch, dtype=np.int64)) * m * k * n
    # Products a[i, l] * b[l, j] with both factors nonzero, summed over l.
    na = np.count_nonzero(a2, axis=-2)  # (..., k)
    nb = np.count_nonzero(b2, axis=-1)  # (..., k)
    nonzero = 2 * int(np.sum(np.broadcast_to(na * nb, (*batch, k)), dtype=np.int64))
    return performed, nonzero


class FlopLog(NamedTuple):
    """What `count_flops` saw: matmul calls and their FLOPs."""

    calls: int
    performed: int  # 2 m k n per (m, k) @ (k, n)
    nonzero: int  # only products whose two factors are nonzero


def count_flops(fn: Callable, *args, **kwargs):
    """Call ``fn(*args, **kwargs)`` and count the FLOPs of its matmuls.

    Every ndarray argument (positional or keyword), and every ndarray value
    of a dict argument, is passed as a view of a subclass whose
    ``__array_ufunc__`` logs each ``np.matmul`` (``@``) that touches it,
    however deep inside `fn`; arrays derived from it stay counted, so a
    cache from a counted forward pass counts the backward pass too.

    Parameters
    ----------
    fn : callable
        The function to run; it validates its own arguments, which are
        passed through unchanged but for the wrapping.
    *args, **kwargs
        Its arguments.

    Returns
    -------
    result
        What `fn` returned (its arrays are counted views; np.asarray
        gives plain ones).
    FlopLog
        ``(calls, performed, nonzero)`` for this call only.

    Raises
    ------
    TypeError
        If `fn` is not callable, or if a product goes through np.dot, einsum
        or another function the count cannot see (rather than go uncounted).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__} {fn!r}")

    def wrap(a):
        if isinstance(a, np.ndarray) and not isinstance(a, _Counted):
            return a.view(_Counted)
        if isinstance(a, Mapping):
            return {k: wrap(v) for k, v in a.items()}
        return a

    log: list[tuple[int, int]] = []
    _LOGS.append(log)
    try:
        result = fn(*map(wrap, args), **{k: wrap(v) for k, v in kwargs.items()})
    finally:
        _LOGS.pop()
    return result, FlopLog(len(log), sum(p for p, _ in log), sum(nz for _, nz in log))


def conv2d_flops(N: int, H_out: int, W_out: int, C: int, F: int, K: int) -> int:
    r"""Forward matmul FLOPs of a K x K convolution, C -> F channels, no bias.

    The one place the formula is written; `nnlab.p1_cnn.summary` and
    `nnlab.p6_rnn2d.costs` use it.

    Parameters
    ----------
    N : int
        Batch size.
    H_out, W_out : int
        Output height and width (padding, stride and dilation are already
        in them).
    C, F : int
        Input channels and filters.
    K : int
        Kernel size.

    Returns
    -------
    int
        :math:`2 N H_{out} W_{out} K^2 C F`: every output element is a dot
        product of :math:`K^2 C` pairs, a multiply-add each, and a
        multiply-add counts 2 (torchvision and thop report the MACs, half
        this).

    Raises
    ------
    TypeError
        If a size is not an integer (bools refused).
    ValueError
        If a size is less than 1 (H_out and W_out: less than 0).
    """
    for name, value in (("N", N), ("C", C), ("F", F), ("K", K)):
        check_int(name, value, 1)
    for name, value in (("H_out", H_out), ("W_out", W_out)):
        check_int(name, value, 0)
    return 2 * N * H_out * W_out * K * K * C * F
