"""Problem 3's seed study as tables: per-strategy summaries and comparisons.

Reads the runs of `nnlab.p3_expansion.study.study` (one `SettingRuns` per
expansion) and turns them into the rows the notebook shows: what each
strategy did to the function, the loss jump and the test accuracy
(`table_rows`), paired differences between strategies with their 95 %
intervals (`comparison_rows`), and the counts behind the Kaiming verdict
(`kaiming_summary`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from nnlab.p3_expansion.experiments import LABELS as STRATEGY_LABELS
from nnlab.p3_expansion.study import SettingRuns
from nnlab.stats import Summary, compare, paired, summarize
from nnlab.validate import check_choice

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
