"""Problem 3: initializing the new parameters of an expanded network.

- `grow`: `widen` and `deepen` by a named strategy;
- `experiments`: a narrow network trained, grown and trained on;
- `rounding`: how far apart rounding alone puts two runs (ulps, score bounds);
- `batched`: many such networks trained side by side;
- `study`: the strategies compared over seeds;
- `tables`: the study's rows, paired comparisons and Kaiming counts;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
