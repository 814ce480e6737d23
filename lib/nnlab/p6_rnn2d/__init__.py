"""Problem 6: a 2D RNN in place of a convolution.

- `rnn2d`: the one-way and four-way (ReNet) module, FLOP formulas, gradient fields;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
