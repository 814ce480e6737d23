"""Problem 1: shapes, parameters, FLOPs and receptive fields of a CNN.

- `specs`: layer specs, the problem's network and its variants, output
  shapes and exact receptive fields;
- `summary`: the per-layer table of shapes, parameters, FLOPs and receptive
  fields, as text and HTML;
- `network`: a run of the `nnlab.layers` kernels forward and backward over a
  spec list, and measurements read off that run;
- `receptive`: receptive fields by geometry and by back-propagated gradients;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
