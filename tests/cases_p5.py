"""Valid calls of `nnlab.p5_bptt` for the bad-input test (see test_bad_input)."""

from badinput import case
from nnlab.p5_bptt import costs, driver, measure, plans

SLOTS = {"memory": ("slots",)}
BUDGET = {"memory": ("budget",)}


def _problem(T=4, N=2, D=3, Hd=5):
    xs, h0, params, dout = measure.random_problem(T, N, D, Hd, seed=1)
    return {"xs": xs, "h0": h0, "params": params, "dout": dout}


CASES = [
    case(
        costs.check_memory,
        T=10,
        schedule="binomial",
        memory=3,
        aliases={"memory": ("slots",)},
    ),
    case(
        costs.check_memory,
        T=10,
        schedule="adjacent",
        memory=4,
        aliases={"memory": ("budget",)},
        id="check_memory(adjacent)",
    ),
    case(costs.store_all_cost, T=5),
    case(costs.constant_cost, T=5),
    case(costs.sqrt_untaped_cost, T=5),
    case(costs.sqrt_taped_cost, T=5),
    case(costs.adjacent_stats, T=6, budget=4),
    case(costs.held_states, T=10, schedule="binomial", memory=3, aliases=SLOTS),
    case(costs.revolve_at_budget, T=10, budget=5),
    case(costs.report, T=10, schedule="adjacent", memory=5, aliases=BUDGET),
    case(costs.bisect_cost, T=5),
    case(costs.repetitions, T=10, s=3),
    case(costs.binomial_cost, T=10, slots=3),
    case(costs.cost, T=10, schedule="sqrt_untaped"),
    case(
        costs.cost,
        T=10,
        schedule="binomial",
        memory=3,
        aliases=SLOTS,
        id="cost(binomial)",
    ),
    case(
        costs.cost,
        T=10,
        schedule="adjacent",
        memory=4,
        aliases=BUDGET,
        id="cost(adjacent)",
    ),
    case(plans.iter_plan, T=6, schedule="bisect"),
    case(
        plans.iter_plan,
        T=6,
        schedule="binomial",
        memory=2,
        aliases=SLOTS,
        id="iter_plan(binomial)",
    ),
    case(
        plans.iter_plan,
        T=6,
        schedule="adjacent",
        memory=3,
        aliases=BUDGET,
        id="iter_plan(adjacent)",
    ),
    case(plans.make_plan, T=6, schedule="sqrt_untaped"),
    case(driver.bptt, make=lambda: {**_problem(), "schedule": "bisect"}),
    case(
        driver.bptt,
        make=lambda: {**_problem(), "schedule": "binomial", "memory": 2},
        aliases=SLOTS,
        id="bptt(binomial)",
    ),
    case(
        driver.bptt,
        make=lambda: {**_problem(), "schedule": "adjacent", "memory": 3},
        aliases=BUDGET,
        id="bptt(adjacent)",
    ),
    case(measure.random_problem, T=3, N=2, D=2, Hd=3, seed=0),
    case(measure.working_states, N=2, D=3, Hd=4),
    case(measure.traced_peak_states, T=3, N=1, D=2, Hd=2, schedule="sqrt_untaped"),
    case(
        measure.time_ratios,
        T=3,
        N=1,
        D=1,
        Hd=2,
        runs=[("bisect", None), ("binomial", 1)],
        repeats=1,
    ),
]
EXEMPT = {
    "nnlab.p5_bptt.plans.plan_held": (
        "takes only a plan made by iter_plan, which it checks with plan_stats "
        "first; plan_stats's refusals are tested in test_p5_bptt.py"
    ),
    "nnlab.p5_bptt.plans.plan_stats": (
        "takes only a plan, a sequence of Action records made by iter_plan; "
        "its refusals of a non-plan, an unknown kind and an inconsistent plan "
        "are tested in test_p5_bptt.py"
    ),
}
