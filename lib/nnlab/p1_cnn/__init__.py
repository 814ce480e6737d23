"""Problem 1: shapes, parameters, FLOPs and receptive fields of a CNN.

- `arch`: layer specs, the problem's network, the per-layer summary and a
  run of the kernels;
- `receptive`: receptive fields by geometry and by back-propagated gradients;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
