"""Valid calls of `nnlab.p5_bptt` for the bad-input test (see test_bad_input)."""

from badinput import case
from nnlab.p5_bptt import costs, driver, measure, plans


def _problem(T=4, N=2, D=3, Hd=5):
    xs, h0, params, dout = measure.random_problem(T, N, D, Hd, seed=1)
    return {"xs": xs, "h0": h0, "params": params, "dout": dout}


CASES = [
    case(costs.check_slots, T=10, schedule="binomial", slots=3),
    case(costs.store_all_cost, T=5),
    case(costs.constant_cost, T=5),
    case(costs.sqrt_cost, T=5),
    case(costs.bisect_cost, T=5),
    case(costs.repetitions, T=10, s=3),
    case(costs.binomial_cost, T=10, slots=3),
    case(costs.cost, T=10, schedule="sqrt"),
    case(costs.cost, T=10, schedule="binomial", slots=3, id="cost(binomial)"),
    case(plans.iter_plan, T=6, schedule="bisect"),
    case(plans.iter_plan, T=6, schedule="binomial", slots=2, id="iter_plan(binomial)"),
    case(plans.make_plan, T=6, schedule="sqrt"),
    case(driver.bptt, make=lambda: {**_problem(), "schedule": "bisect"}),
    case(
        driver.bptt,
        make=lambda: {**_problem(), "schedule": "binomial", "slots": 2},
        id="bptt(binomial)",
    ),
    case(measure.random_problem, T=3, N=2, D=2, Hd=3, seed=0),
    case(measure.traced_peak_states, T=3, N=1, D=2, Hd=2, schedule="sqrt"),
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
    "nnlab.p5_bptt.plans.plan_stats": (
        "takes only a plan, a sequence of Action records made by iter_plan; "
        "its refusals of a non-plan, an unknown kind and an inconsistent plan "
        "are tested in test_p5_bptt.py"
    ),
}
