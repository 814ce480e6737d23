"""nnlab: numpy kernels for a graduate deep-learning problem set.

Every kernel is a pair of pure functions, ``<op>_forward(...) -> (out,
cache)`` and ``<op>_backward(dout, cache) -> d<inputs>``, on channels-last
arrays. Import the topic module you need, e.g. ``from nnlab import layers``.

Shared kernels sit at the top level (`layers` and `conv`, `activations`, `norm`, `rnn`,
`init`, `mlp`, `training`, `data`, `gradcheck`, `flops`, `stats`); each
problem has a package with its own kernels, experiments and figures:

- `p1_cnn`: shapes, parameters, FLOPs and receptive fields of a CNN;
- `p2_activations`: the activation after batch normalization;
- `p3_expansion`: initializing an expanded network;
- `p4_seqnorm`: sequence normalization, full and causal;
- `p5_bptt`: back-propagation through time in O(log T) memory;
- `p6_rnn2d`: a 2D RNN in place of a convolution.

`views` holds what every notebook's figures share, and `kernel`, `execute`
and the `book` package (the handouts) the notebook tooling.
"""

__version__ = "0.1.0"
