r"""Problem 3 over many seeds, and the statistics that compare strategies.

`nnlab.p3_expansion.experiments` follows one seed in detail. A conclusion about where
training ends (Kaiming against preserve, preserve against the narrow network
or a network trained from scratch) rests on that seed's luck unless it is
repeated: `study` reruns every expansion of `SETTINGS` with every strategy
for each seed of `SEEDS`, each seed drawing its own spirals, its own narrow
network and its own new parameters (the seeding of
`nnlab.p3_expansion.experiments`), and
the functions below compare the runs seed by seed.

A comparison of two strategies is paired: both grow the same narrow network
on the same data, so their difference is taken seed by seed and its mean is
judged against its standard error with Student's t (`compare`).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from nnlab.mlp import init_mlp, mlp_forward
from nnlab.p3_expansion.batched import fit_batch, stack, unstack
from nnlab.p3_expansion.experiments import (
    ADDED,
    COMPARED_STRATEGIES,
    DEEPEN_STRATEGIES,
    LR,
    NARROW,
    T1,
    T2,
    expanded,
    expanded_sizes,
    expansion_spirals,
    keep_tolerance,
    narrow_run,
)
from nnlab.p3_expansion.experiments import (
    LABELS as STRATEGY_LABELS,
)
from nnlab.records import freeze_arrays
from nnlab.stats import Summary, compare, paired, summarize
from nnlab.validate import check_choice, check_int

SEEDS = tuple(range(8))
SETTINGS = (("widen", 0, 24), ("widen", 1, 24), ("deepen", 0, 0), ("deepen", 1, 0))


class SettingRuns(NamedTuple):
    """One expansion over the seeds: arrays of one value a seed.

    test_acc : name -> (S,) final test accuracy; the names are the
        strategies, "scratch" (the expanded architecture trained T1 + T2
        steps from Kaiming init) and "narrow" (the narrow network trained on).
    jump : strategy -> (S,) training loss right after the expansion minus
        right before it.
    change : strategy -> (S,) largest |change| of the scores over the
        training and test points at the expansion.
    kept : strategy -> (S,) bool, change within `keep_tolerance`.
    final_loss : name -> (S,) training loss at the end, as test_acc.

    `study` returns them cached: every mapping and array is read-only.
    """

    test_acc: Mapping
    jump: Mapping
    change: Mapping
    kept: Mapping
    final_loss: Mapping


def _perturbed(a: np.ndarray, rel: float, rng: np.random.Generator) -> np.ndarray:
    if rel == 0:
        return a
    return a * (1 + rel * rng.choice([-1.0, 1.0], size=a.shape))


def _stacked_data(seeds, rel: float, repeat: int = 1):
    parts = []
    for seed in seeds:
        rng = np.random.default_rng([seed, 2])
        d = expansion_spirals(seed)
        parts.append(
            (_perturbed(d.X, rel, rng), d.y, _perturbed(d.X_test, rel, rng), d.y_test)
        )
    return tuple(
        np.stack([p[k] for p in parts for _ in range(repeat)]) for k in range(4)
    )


def study(perturb: float = 0.0, seeds=SEEDS) -> Mapping:
    """Every expansion of `SETTINGS`, every strategy, over `seeds`.

    Parameters
    ----------
    perturb : float
        0 for the runs the notebook reports. Otherwise every input point and
        every initial weight is multiplied by ``1 +- perturb`` (random
        signs): a perturbation of rounding size, to measure how much the
        training amplifies it and to guard the printed statistics.
    seeds : tuple of int
        At least 2 (the statistics need a spread).

    Returns
    -------
    mapping
        ``(kind, layer, added) -> SettingRuns``. Cached, so read-only, its
        arrays too.
    """
    if isinstance(perturb, bool) or not isinstance(perturb, numbers.Real):
        raise TypeError(f"perturb must be a real number, got {type(perturb).__name__}")
    if not perturb >= 0 or perturb > 1e-6:
        raise ValueError(
            f"perturb must be in [0, 1e-6] (rounding size), got {perturb!r}"
        )
    if isinstance(seeds, str) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a tuple of ints, got {seeds!r:.60}")
    seeds = tuple(check_int("every seed", s, 0) for s in seeds)
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must hold at least 2 distinct seeds, got {seeds!r}")
    for s in seeds:
        expansion_spirals(s)  # validates each seed
    return _study(float(perturb), seeds)


def _init(sizes, seed: int, rel: float) -> list[dict]:
    params = init_mlp(sizes, np.random.default_rng(seed))
    rng = np.random.default_rng([seed, 3])
    return [{k: _perturbed(v, rel, rng) for k, v in layer.items()} for layer in params]


@lru_cache(maxsize=8)
def _study(rel: float, seeds: tuple) -> Mapping:
    S = len(seeds)
    Xs = _stacked_data(seeds, rel)
    narrow0 = stack([_init([2, NARROW, NARROW, 2], s, rel) for s in seeds])
    first = fit_batch(narrow0, *Xs, steps=T1, lr=LR)
    cont = fit_batch(first.params, *Xs, steps=T2, lr=LR)
    before = [unstack(first.params, i) for i in range(S)]
    scratch = {}
    for kind, layer, added in SETTINGS:
        sizes = tuple(expanded_sizes(kind, layer, added))
        if sizes not in scratch:
            start = stack([_init(list(sizes), s, rel) for s in seeds])
            scratch[sizes] = fit_batch(start, *Xs, steps=T1 + T2, lr=LR)
    out = {}
    for kind, layer, added in SETTINGS:
        names = COMPARED_STRATEGIES if kind == "widen" else DEEPEN_STRATEGIES
        starts, change, kept = [], [], []
        for i, seed in enumerate(seeds):
            X = np.vstack([Xs[0][i], Xs[2][i]])
            old = mlp_forward(X, before[i])[0]
            for s in names:
                p = expanded(before[i], kind, s, layer, added, seed)
                starts.append(p)
                diff = np.abs(mlp_forward(X, p)[0] - old)
                change.append(diff.max())
                kept.append(bool((diff <= keep_tolerance(X, before[i], p)).all()))
        k = len(names)
        run = fit_batch(stack(starts), *_stacked_data(seeds, rel, k), steps=T2, lr=LR)

        def per_seed(values, j, k=k):
            return np.asarray(values)[j::k]

        fresh = scratch[tuple(expanded_sizes(kind, layer, added))]
        jump = run.loss[:, 0] - np.repeat(cont.loss[:, 0], k)
        proxy = MappingProxyType
        out[(kind, layer, added)] = SettingRuns(
            test_acc=proxy(
                {
                    **{s: per_seed(run.test_acc, j) for j, s in enumerate(names)},
                    "scratch": fresh.test_acc,
                    "narrow": cont.test_acc,
                }
            ),
            jump=proxy({s: per_seed(jump, j) for j, s in enumerate(names)}),
            change=proxy({s: per_seed(change, j) for j, s in enumerate(names)}),
            kept=proxy({s: per_seed(kept, j) for j, s in enumerate(names)}),
            final_loss=proxy(
                {
                    **{s: per_seed(run.final_loss, j) for j, s in enumerate(names)},
                    "scratch": fresh.final_loss,
                    "narrow": cont.final_loss,
                }
            ),
        )
    # cached and shared by every caller: nothing in it may change
    return freeze_arrays(MappingProxyType(out))


# |loss jump| up to this counts as none: a kept function's scores move by at
# most keep_tolerance (~1e-13 here), which moves a mean cross-entropy by at
# most twice that, and the loss itself rounds to ~N u ~ 1e-14.
JUMP_TOL = 1e-12

LABELS = {
    **STRATEGY_LABELS,
    "scratch": "(from scratch)",
    "narrow": "(narrow, trained on)",
}
COMPARISONS = (
    ("kaiming", "preserve"),
    ("kaiming", "zero"),
    ("small_out", "preserve"),
    ("small_out", "zero"),
    ("preserve", "narrow"),
    ("preserve", "scratch"),
    ("net2net", "narrow"),
)


def _check_runs(runs) -> None:
    if (
        not isinstance(runs, Mapping)
        or not runs
        or not all(isinstance(r, SettingRuns) for r in runs.values())
    ):
        raise TypeError(
            f"runs must be a non-empty mapping of SettingRuns (from study), got "
            f"{type(runs).__name__}"
        )


def where(setting) -> str:
    """``("widen", 0, 24)`` -> "widen 0 +24", ``("deepen", 1, 0)`` -> "deepen 1"."""
    if not isinstance(setting, tuple) or len(setting) != 3:
        raise TypeError(f"setting must be (kind, layer, added), got {setting!r:.60}")
    kind, layer, added = setting
    check_choice("setting kind", kind, ("widen", "deepen"))
    return f"{kind} {layer}" + (f" +{added}" if kind == "widen" else "")


def _pm(s: Summary, spec: str, spread: float) -> str:
    return f"{s.mean:{spec}} ± {spread:{spec[-3:]}}"


TABLE_HEADER = ("expansion", "strategy", "function", "loss jump", "test acc")
COMPARISON_HEADER = ("expansion", "A - B", "test acc, A - B", "95% interval", "")


def table_rows(runs: dict) -> list[tuple[str, ...]]:
    """One row of cells per expansion and strategy (columns `TABLE_HEADER`).

    Over the seeds: the function kept or not, the loss jump (mean ± sd;
    "none" when every |jump| is at most `JUMP_TOL`) and the final test
    accuracy (mean ± sd). For ``nnlab.views.prose.table``.
    """
    _check_runs(runs)
    n = len(next(iter(runs.values())).test_acc["narrow"])
    rows = []
    for setting, r in runs.items():
        for name, acc in r.test_acc.items():
            if name in r.kept:
                kept, jump = int(r.kept[name].sum()), r.jump[name]
                fn = f"kept {kept}/{n}" if kept == n else f"changed {n - kept}/{n}"
                if np.all(np.abs(jump) <= JUMP_TOL):
                    jp = "none"
                else:
                    jp = _pm(summarize(jump), "+.3f", summarize(jump).sd)
            else:
                fn, jp = "", ""
            a = summarize(acc)
            rows.append((where(setting), LABELS[name], fn, jp, _pm(a, ".2f", a.sd)))
    return rows


def table_lines(runs: dict) -> list[str]:
    """`table_rows` as plain-text lines under a header line."""
    rows = table_rows(runs)
    header = TABLE_HEADER
    lines = [
        f"{header[0]:<12} {header[1]:<21} {header[2]:<15} {header[3]:>15} "
        f"{header[4]:>11}"
    ]
    for w, name, fn, jp, acc in rows:
        lines.append(f"{w:<12} {name:<21} {fn:<15} {jp:>15} {acc:>11}")
    return lines


def comparison_rows(runs: dict, pairs=COMPARISONS) -> list[tuple[str, ...]]:
    """Paired comparisons of final test accuracy (columns `COMPARISON_HEADER`).

    Each row: the expansion, the pair, the mean difference ± its standard
    error over the seeds, its 95 % interval and the verdict of
    `nnlab.stats.compare`.
    """
    _check_runs(runs)
    if isinstance(pairs, str) or not all(
        isinstance(p, tuple) and len(p) == 2 for p in pairs
    ):
        raise TypeError(f"pairs must be (name, name) tuples, got {pairs!r:.60}")
    rows = []
    for setting, r in runs.items():
        for a, b in pairs:
            if a not in r.test_acc or b not in r.test_acc:
                continue
            d = paired(r.test_acc[a], r.test_acc[b])
            lo, hi = d.interval()
            rows.append(
                (
                    where(setting),
                    f"{LABELS[a]} - {LABELS[b].strip('()')}",
                    _pm(d, "+.3f", d.se),
                    f"[{lo:+.3f}, {hi:+.3f}]",
                    compare(d),
                )
            )
    return rows


def comparison_lines(runs: dict, pairs=COMPARISONS) -> list[str]:
    """`comparison_rows` as plain-text lines."""
    return [
        f"{w:<12} {pair:<33} {mean}  {interval}  {verdict}"
        for w, pair, mean, interval, verdict in comparison_rows(runs, pairs)
    ]


class KaimingSummary(NamedTuple):
    """What the runs say about Kaiming against the preserving strategies."""

    runs: int  # seeds x expansions
    changed: int  # runs where Kaiming changed the function at the expansion
    jumped: int  # ... and where the training loss jumped up (> JUMP_TOL)
    smallest_jump: float
    preserve_kept: int  # runs where preserve kept the function
    preserve_no_jump: int  # ... and had no loss jump (|jump| <= JUMP_TOL)
    against_preserve: dict  # setting -> compare() of Kaiming - preserve
    against_zero: dict  # setting -> compare() of Kaiming - zero


def kaiming_summary(runs: dict) -> KaimingSummary:
    """Count, over every seed and expansion, what Kaiming and preserve do."""
    _check_runs(runs)
    rs = list(runs.values())

    def total(values):
        return int(sum(np.count_nonzero(v) for v in values))

    return KaimingSummary(
        runs=sum(len(r.kept["kaiming"]) for r in rs),
        changed=total(~r.kept["kaiming"] for r in rs),
        jumped=total(r.jump["kaiming"] > JUMP_TOL for r in rs),
        smallest_jump=float(min(r.jump["kaiming"].min() for r in rs)),
        preserve_kept=total(r.kept["preserve"] for r in rs),
        preserve_no_jump=total(np.abs(r.jump["preserve"]) <= JUMP_TOL for r in rs),
        against_preserve={
            k: compare(paired(r.test_acc["kaiming"], r.test_acc["preserve"]))
            for k, r in runs.items()
        },
        against_zero={
            k: compare(paired(r.test_acc["kaiming"], r.test_acc["zero"]))
            for k, r in runs.items()
        },
    )


def added_sweep(layer: int = 0, added=None, seed: int = 0) -> Mapping:
    """Return the final test accuracy of each widening strategy at each width.

    The runs of ``experiments.grow("widen", strategy, layer, a, seed)``,
    trained side by side (`fit_batch`): one batch a width, so the sweep
    costs a fraction of the single runs.

    Parameters
    ----------
    layer : int
        The hidden layer widened, one of ``experiments.LAYERS``.
    added : tuple of int, optional
        Units added; default ``experiments.ADDED``.
    seed : int

    Returns
    -------
    mapping
        strategy -> (len(added),) final test accuracy; cached, read-only.
    """
    added = ADDED if added is None else added
    if isinstance(added, str) or not isinstance(added, Iterable):
        raise TypeError(f"added must be a tuple of ints, got {added!r:.60}")
    added = tuple(check_int("every added", a, 1) for a in added)
    if not added:
        raise ValueError("added must hold at least one width, got none")
    expanded_sizes("widen", layer, added[0])  # validates layer
    expansion_spirals(seed)  # validates seed
    return _added_sweep(int(layer), added, int(seed))


@lru_cache(maxsize=8)
def _added_sweep(layer: int, added: tuple, seed: int) -> Mapping:
    before = narrow_run(seed).params
    S = len(COMPARED_STRATEGIES)
    acc = {s: [] for s in COMPARED_STRATEGIES}
    for a in added:
        starts = [
            expanded(before, "widen", s, layer, a, seed) for s in COMPARED_STRATEGIES
        ]
        run = fit_batch(stack(starts), *_stacked_data((seed,), 0.0, S), steps=T2, lr=LR)
        for s, value in zip(COMPARED_STRATEGIES, run.test_acc, strict=True):
            acc[s].append(value)
    return freeze_arrays(MappingProxyType({s: np.array(v) for s, v in acc.items()}))
