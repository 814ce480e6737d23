"""Back-propagation through time under a memory budget.

`bptt` executes a plan of `nnlab.p5_bptt.plans` with the step of
`nnlab.rnn` and counts what it runs.
"""

from __future__ import annotations

import numpy as np

from nnlab.p5_bptt.costs import Stats
from nnlab.p5_bptt.plans import iter_plan
from nnlab.rnn import UncheckedStepCache, rnn_step_backward, rnn_step_forward
from nnlab.validate import check_array, check_dout


def _check_bptt_inputs(xs, h0, params, dout) -> int:
    """Check the arrays of `bptt`; return T."""
    if not isinstance(params, tuple | list):
        raise TypeError(
            f"params must be a tuple (Wx, Wh, b), got {type(params).__name__}"
        )
    if len(params) != 3:
        raise ValueError(f"params must be (Wx, Wh, b), got {len(params)} items")
    Wx, Wh, b = params
    check_array("xs", xs, 3, "(T, N, D)")
    check_array("h0", h0, 2, "(N, Hd)")
    check_array("Wx", Wx, 2, "(D, Hd)")
    check_array("Wh", Wh, 2, "(Hd, Hd)")
    check_array("b", b, 1, "(Hd,)")
    (T, N, D), Hd = xs.shape, h0.shape[1]
    expected = {"h0": (N, Hd), "Wx": (D, Hd), "Wh": (Hd, Hd), "b": (Hd,)}
    got = {"h0": h0.shape, "Wx": Wx.shape, "Wh": Wh.shape, "b": b.shape}
    bad = [k for k in expected if got[k] != expected[k]]
    if bad:
        raise ValueError(
            f"with xs {xs.shape} and h0 {h0.shape} (T={T}, N={N}, D={D}, Hd={Hd}) "
            + ", ".join(f"{k} must be {expected[k]}, got {got[k]}" for k in bad)
        )
    check_dout(dout, (T, N, Hd))
    return T


def bptt(xs, h0, params, dout, schedule: str, memory: int | None = None):
    """Gradients of a tanh RNN over T steps, by a memory-saving schedule.

    Parameters
    ----------
    xs : (T, N, D) ndarray
        Inputs x_1..x_T.
    h0 : (N, Hd) ndarray
        Initial hidden state.
    params : tuple
        ``(Wx, Wh, b)`` with shapes (D, Hd), (Hd, Hd), (Hd,).
    dout : (T, N, Hd) ndarray
        Upstream gradient of the loss on the outputs h_1..h_T.
    schedule : str
        One of `SCHEDULES`: ``"store_all"``, ``"constant"``,
        ``"sqrt_untaped"``, ``"sqrt_taped"``, ``"bisect"``, ``"binomial"``,
        ``"adjacent"``.
    memory : int, optional
        ``"binomial"``: slots, states stored at once (h0 included, the
        working state not), from 1 to max(1, T - 1). ``"adjacent"``: the
        budget, hidden states held at once (h0 and the working pair
        included), at least 3 for T >= 2. See
        `nnlab.p5_bptt.costs.check_memory`.

    Returns
    -------
    grads : tuple
        In the order of the inputs:
        ``(dxs (T, N, D), dh0 (N, Hd), dWx (D, Hd), dWh (Hd, Hd), db (Hd,))``.
    stats : Stats
        ``step_calls`` (every call of `rnn_step_forward`) and
        ``peak_states`` (most states stored at once, h0 included).

    Notes
    -----
    Step t computes h_t = tanh(x_t Wx + h_{t-1} Wh + b). Walking back,
    the gradient reaching h_t is dout_t plus dh_t from step t + 1. Every
    schedule reverses steps T..1 in the same order with the same kernel, so
    their gradients agree to rounding. The plan is consumed lazily, so the
    bookkeeping holds only the schedule's recursion stack besides the
    stored states.

    The arrays are validated once here; the steps then run unchecked
    (``check=False``), since a check per step would cost more than the step.

    Raises
    ------
    TypeError
        If an array is not a floating ndarray, `params` is not a tuple, or a
        schedule argument has the wrong type.
    ValueError
        If an array has the wrong rank, an empty axis, NaN or inf, or a shape
        that disagrees with `xs` and `h0` (each named); or as
        `nnlab.p5_bptt.costs.check_memory`.
    """
    T = _check_bptt_inputs(xs, h0, params, dout)
    plan = iter_plan(T, schedule, memory)
    Wx, Wh, b = params
    dxs = np.empty_like(xs)  # (T, N, D)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = np.zeros_like(h0)  # gradient into h_t from step t + 1
    stored, tapes = {0: h0}, {}
    work, calls, peak = h0, 0, 1

    def reverse(t, cache):
        nonlocal dh
        dx, dh, dWx_t, dWh_t, db_t = rnn_step_backward(dout[t - 1] + dh, cache)
        dxs[t - 1] = dx
        np.add(dWx, dWx_t, out=dWx)
        np.add(dWh, dWh_t, out=dWh)
        np.add(db, db_t, out=db)

    for kind, i, j in plan:
        if kind == "advance":
            for t in range(i + 1, j + 1):
                work, _ = rnn_step_forward(xs[t - 1], work, Wx, Wh, b, check=False)
            calls += j - i
        elif kind == "snapshot":
            stored[i] = work
            peak = max(peak, len(stored) + len(tapes))
        elif kind == "free":
            if work is stored.pop(i):
                work = None  # the plan drops the working state too
        elif kind == "restore":
            work = stored[i]
        elif kind == "tape":
            work, tapes[i] = rnn_step_forward(xs[i - 1], work, Wx, Wh, b, check=False)
            calls += 1
            peak = max(peak, len(stored) + len(tapes))
        elif kind == "backward":
            # Re-running the step rebuilds its tape; the output h_i is not kept.
            _, cache = rnn_step_forward(xs[i - 1], work, Wx, Wh, b, check=False)
            calls += 1
            reverse(i, cache)
            work = None
        elif kind == "reverse":
            reverse(i, tapes.pop(i))
        else:  # "reverse_stored": the step's tape is (x_i, h_{i-1}, h_i)
            cache = UncheckedStepCache(xs[i - 1], stored[i - 1], Wx, Wh, stored[i])
            reverse(i, cache)
    return (dxs, dh, dWx, dWh, db), Stats(calls, peak)
