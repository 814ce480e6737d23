"""Problem 4: normalization over time, full and causal.

- `seqnorm`: sequence and layer normalization, forward and backward, running estimates;
- `leakage`: Jacobians over time, the running-estimate gap, the next-step data;
- `nextstep`: the next-step predictor over seeds;
- `verdicts`: the leak verdicts from mechanisms and seed statistics;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
