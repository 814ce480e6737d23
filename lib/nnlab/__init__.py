"""nnlab: numpy kernels for a graduate deep-learning problem set.

Every kernel is a pair of pure functions, ``<op>_forward(...) -> (out,
cache)`` and ``<op>_backward(dout, cache) -> d<inputs>``, on channels-last
arrays. Import the topic module you need, e.g. ``from nnlab import layers``.
"""

__version__ = "0.1.0"
