"""Problem 6: a 2D RNN in place of a convolution.

- `rnn2d`: the one-way and four-way (ReNet) module, forward and backward;
- `costs`: FLOP formulas for the module and a 3x3 convolution, and counted FLOPs;
- `fields`: receptive fields from gradient maps, module against a conv stack;
- `timing`: wall time of the module against a 3x3 convolution;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
