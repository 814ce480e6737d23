"""Problem 5: back-propagation through time in O(log T) memory.

- `costs`: the schedules, their `Stats` and exact costs in closed form;
- `plans`: each schedule as a stream of `Action`s, and its replayed count;
- `driver`: `bptt`, which executes a plan with the RNN step;
- `measure`: seeded inputs, traced memory and wall-time ratios;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
