"""Problem 1: shapes, parameters, FLOPs and receptive fields of a CNN.

- `specs`: layer specs with PyTorch's names and defaults (Conv, MaxPool,
  AvgPool, GlobalAvgPool, BatchNorm, ReLU, Flatten, Linear, Residual);
- `geometry`: output shapes, exact (boundary-clipped) fields, and the
  unclipped field, jump, start and effective padding of every row;
- `presets`: the problem's network and its variants, and published
  networks (VGG-16, AlexNet, ResNet-18, alexnet_v2, a dilated stack);
- `summary`: the per-layer table of shapes, parameters, FLOPs, MACs and
  receptive fields, as text and HTML;
- `network`: a run of the `nnlab.layers` kernels forward and backward over a
  spec list, and measurements read off that run;
- `receptive`: receptive fields measured by back-propagated gradients;
- `erf`: the effective receptive field (Luo et al., 2016);
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).

Rows are numbered as in the problem's table everywhere: the input is row 0,
``layers[i]`` is row ``i + 1``.
"""
