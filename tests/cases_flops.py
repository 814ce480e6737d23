"""Valid calls of `nnlab.flops` for the bad-input test (see test_bad_input).

`count_flops` passes its arguments on to the function it counts, so the
arrays are spoilt through a kernel that checks them: a refusal must still
name the argument, and the count must not turn it into another error.
"""

import numpy as np

from badinput import case
from nnlab import flops, layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CASES = [
    case(
        flops.count_flops,
        fn=layers.linear_forward,
        x=_x((3, 4)),
        w=_x((4, 5), 1),
        b=_x(5, 2),
    ),
    case(flops.conv2d_flops, N=2, H_out=8, W_out=8, C=3, F=16, K=3),
]
EXEMPT = {}
