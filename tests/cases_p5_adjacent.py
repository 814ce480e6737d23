"""Valid calls of `nnlab.p5_bptt.adjacent` for the bad-input test."""

from badinput import case
from nnlab.p5_bptt import adjacent

CASES = [
    case(adjacent.min_budget, T=5),
    case(adjacent.check_budget, T=5, budget=4),
    case(adjacent.adjacent_cost, T=6, budget=4),
    case(adjacent.adjacent_frontier, T=6, max_budget=5),
    case(adjacent.adjacent_moves, T=6, budget=4),
    case(adjacent.iter_moves, T=6, budget=4),
    case(
        adjacent.replay, make=lambda: {"T": 3, "moves": adjacent.adjacent_moves(3, 3)}
    ),
    case(adjacent.exhaustive_cost, T=5, budget=3),
]
EXEMPT = {}
