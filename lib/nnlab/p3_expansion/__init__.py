"""Problem 3: initializing the new parameters of an expanded network.

- `grow`: `widen` and `deepen` by a named strategy;
- `experiments`: a narrow network trained, grown and trained on;
- `batched`: many such networks trained side by side;
- `study`: the strategies compared over seeds;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
