"""Problem 2: which activation after batch normalization.

- `bn_mlp`: the batch-norm MLP, its training, and the min(0, x) sign flip;
- `seed_stack`: networks and data sets stacked on a leading seed axis;
- `batched`: the batch-norm MLP with a leading seed axis, trained side by side;
- `study`: every activation over seeds, and the verdicts drawn from them;
- `mechanism`: what batch norm feeds each activation at the start, what it
  outputs, its derivative (the notebook's table, no training);
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
