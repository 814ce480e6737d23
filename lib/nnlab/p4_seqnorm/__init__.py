"""Problem 4: normalization over time, full and causal.

- `seqnorm`: sequence normalization, full and causal, forward and backward,
  running estimates, prefix statistics;
- `layernorm`: layer normalization, the comparison that never mixes time steps;
- `leakage`: Jacobians over time, the running-estimate gap, the next-step data;
- `predictor`: the seed-batched next-step model: data, weights, passes, Adam;
- `nextstep`: its training over seeds, the leak study;
- `stream`: the causal version one token at a time, O(D) state, and its
  moving-average variant;
- `verdicts`: the leak verdicts from mechanisms and seed statistics;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
