"""What the tour computes and draws: ResNet-18's MACs, the finite-difference step.

References
----------
He, Zhang, Ren and Sun, "Deep residual learning for image recognition",
CVPR 2016, Table 1 (the layers of `RESNET18`).
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from nnlab.flops import conv2d_flops
from nnlab.gradcheck import check_gradient
from nnlab.rnn import rnn_step_backward, rnn_step_forward
from nnlab.views import live_figure, plain_log_ticks

#: ResNet-18 on a 224 x 224 image: (layer, H_out = W_out, C, F, K, how many),
#: after He et al. (2016), Table 1. Each stage after the first halves the map
#: with a stride-2 3x3 convolution and a stride-2 1x1 shortcut; the
#: classifier is a 1x1 "convolution" of the pooled 1 x 1 x 512 map.
RESNET18 = (
    ("conv1 7x7, stride 2", 112, 3, 64, 7, 1),
    ("layer1 3x3", 56, 64, 64, 3, 4),
    ("layer2 3x3, stride 2", 28, 64, 128, 3, 1),
    ("layer2 3x3", 28, 128, 128, 3, 3),
    ("layer2 1x1 shortcut", 28, 64, 128, 1, 1),
    ("layer3 3x3, stride 2", 14, 128, 256, 3, 1),
    ("layer3 3x3", 14, 256, 256, 3, 3),
    ("layer3 1x1 shortcut", 14, 128, 256, 1, 1),
    ("layer4 3x3, stride 2", 7, 256, 512, 3, 1),
    ("layer4 3x3", 7, 512, 512, 3, 3),
    ("layer4 1x1 shortcut", 7, 256, 512, 1, 1),
    ("fc 512 -> 1000", 1, 512, 1000, 1, 1),
)


def resnet18_flops() -> tuple[tuple[str, int], ...]:
    """(layer, forward FLOPs without bias) for each row of `RESNET18`.

    FLOPs as `nnlab.flops.conv2d_flops` counts them, a multiply-add as 2;
    halve them for the MACs that torchvision's model table and thop report.
    """
    return tuple(
        (name, n * conv2d_flops(1, H, H, C, F, K)) for name, H, C, F, K, n in RESNET18
    )


STEPS = tuple(-k / 2 for k in range(2, 27))  # log10 h from -1 to -13


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 3))
    h_prev = rng.standard_normal((4, 5))
    Wx = rng.standard_normal((3, 5)) * 0.5
    Wh = rng.standard_normal((5, 5)) * 0.5
    b = rng.standard_normal(5)
    dout = rng.standard_normal((4, 5))
    return x, h_prev, Wx, Wh, b, dout


@lru_cache(maxsize=1)
def step_sweep() -> tuple[tuple[float, float], ...]:
    """(log10 h, relative error of dWh) for every step size in `STEPS`.

    The analytic dWh of one RNN step is compared with centred differences
    taken with step h.
    """
    x, h_prev, Wx, Wh, b, dout = _problem()
    _, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    dWh = rnn_step_backward(dout, cache)[3]

    def f(w):
        return rnn_step_forward(x, h_prev, Wx, w, b)[0]

    return tuple((e, check_gradient(f, Wh.copy(), dWh, dout, h=10.0**e)) for e in STEPS)


def _step_size_draw(fig, log10_h: float) -> dict:
    """Draw the sweep into `fig`; return the artists a new h changes."""
    sweep = np.array(step_sweep())
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.15, top=0.9)
    ax.loglog(10.0 ** sweep[:, 0], sweep[:, 1], "o-", color="0.35", ms=4)
    # placed on the sweep, so that it widens no limit when moved along it
    first = 10.0 ** sweep[:1, 0], sweep[:1, 1]
    (dot,) = ax.loglog(*first, "o", color="C3", ms=10, label="h")
    ax.axhline(1e-7, color="C0", ls="--", lw=1, label="pass threshold 1e-7")
    plain_log_ticks(ax)
    ax.invert_xaxis()
    ax.set_xlabel("finite-difference step h")
    ax.set_ylabel("relative error of dWh")
    parts = {"sweep": sweep, "dot": dot, "title": ax.set_title("")}
    parts["label"] = ax.legend(loc="upper center").get_texts()[0]
    _step_size_update(parts, log10_h)
    return parts


def _step_size_update(parts: dict, log10_h: float) -> None:
    """Move the red dot to the swept h nearest `log10_h`; retitle."""
    sweep = parts["sweep"]
    e, err = sweep[int(np.argmin(np.abs(sweep[:, 0] - log10_h)))]
    parts["dot"].set_data([10.0**e], [err])
    parts["label"].set_text(f"h = 1e{e:g}")
    title = f"Gradient check of one RNN step: error {err:.0e} at h = 1e{e:g}"
    parts["title"].set_text(title)


def step_size_figure(log10_h: float = -6.0):
    """Relative error of a gradient check against the step h, with one h marked.

    Large h: the O(h**2) truncation error of the centred difference
    dominates. Small h: round-off, about machine epsilon / h, dominates.
    """
    fig = plt.figure(figsize=(6.4, 3.6))
    _step_size_draw(fig, log10_h)
    return fig


def step_size_view(log10_h: float = -6.0):
    """`step_size_figure` for the widget: one figure, its dot moved in place.

    The axes, ticks and legend are drawn once (`nnlab.views.live_figure`);
    a new h moves the red dot and rewrites the legend entry and the title.
    """
    fig, parts = live_figure("tour.step_size", _step_size_build)
    _step_size_update(parts, log10_h)
    return fig


def _step_size_build():
    fig = Figure(figsize=(6.4, 3.6))
    return fig, _step_size_draw(fig, -6.0)


WIDGETS = {"step_size": (step_size_view, {"log10_h": -6.0})}

#: Every value each widget control offers, as notebook 00 builds it.
WIDGET_RANGES = {"step_size": {"log10_h": tuple(STEPS[::-1])}}

#: Alt text of each figure and widget callback, for the handouts.
ALT = {
    "step_size_figure": (
        "Log-log plot of the relative error of the gradient check of dWh, one RNN "
        "step, against the finite-difference step h, from 0.1 (left) down to 1e-13 "
        "(right). The error falls as h squared, two decades per decade of h, from "
        "about 0.03 to a floor near 1e-10 at h = 1e-5 to 1e-6 (truncation error), "
        "then climbs again as h shrinks (round-off), to about 1e-3 at h = 1e-13. A "
        "dashed line marks the pass threshold 1e-7; a large red dot marks the "
        "chosen h, at the default 1e-6 in the valley, far below the threshold."
    ),
}
ALT["step_size_view"] = ALT["step_size_figure"]
