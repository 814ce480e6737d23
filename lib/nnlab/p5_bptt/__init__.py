"""Problem 5: back-propagation through time in O(log T) memory.

- `bptt`: checkpointing schedules as plans, their costs, the driver;
- `figures`: the notebook's figures and widget callbacks (`WIDGETS`).
"""
