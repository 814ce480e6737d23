"""Verdicts of notebook 4 on sequence normalization in a transformer.

Where an exact mechanism decides, the verdict comes from it: which input
steps an output can see (`nnlab.p4_seqnorm.leakage.time_jacobian`, exact zeros). The
training runs of `nnlab.p4_seqnorm.nextstep` confirm it, through statistics over seeds
(`nnlab.stats`), never through one run:

- "below the bound": the held-out loss minus the loss of predicting 0,
  paired by seed (both on the same held-out set); below if the whole 95%
  confidence interval of the mean difference is below 0;
- the same test for the step-by-step (generation) loss and the training
  loss against their bounds.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.p4_seqnorm.leakage import NORMS, time_jacobian
from nnlab.p4_seqnorm.nextstep import LeakStudy, SeedRuns
from nnlab.stats import Summary, paired
from nnlab.validate import check_choice, check_int

LEVEL = 0.95
# Step by step and whole sequence run the same causal model on prefixes of
# different lengths, so matrix products sum rows in other orders: the two
# losses (about 1) may differ by a few ulps, never by 1e-12.
SAME_LOSS_RTOL = 1e-12


class Verdict(NamedTuple):
    """Is one use of a normalization admissible, and on what evidence."""

    setting: str
    usable: bool
    mechanism: str  # the exact reason, or "" when training decides
    confirmed: bool  # do the training runs agree with the verdict?
    evidence: str  # the training statistics behind it, one line


def below_bound(run: SeedRuns) -> Summary:
    """Held-out whole-sequence loss minus the bound, paired by seed.

    Raises
    ------
    TypeError
        If `run` is not a `SeedRuns` (from `train_seeds`).
    """
    if not isinstance(run, SeedRuns):
        raise TypeError(f"run must be a SeedRuns, got {type(run).__name__}")
    return paired(run.test_loss, run.bound)


def sees_future(norm: str, T: int = 8, D: int = 4) -> tuple[int, int]:
    """How many Jacobian entries above the diagonal are non-zero, of how many.

    A non-zero entry (t, s), s > t, means output step t depends on input
    step s; exactly 0 means it cannot. Computed on one random (T, D)
    sequence.

    Raises
    ------
    TypeError
        If `norm` is not a str, or T or D not an integer.
    ValueError
        If `norm` is not one of `NORMS`, or T or D < 1.
    """
    check_choice("norm", norm, NORMS)
    T, D = check_int("T", T, 1), check_int("D", D, 1)
    x = np.random.default_rng(0).standard_normal((T, D))
    future = time_jacobian(x, norm)[np.triu_indices(T, k=1)]
    return int((future != 0).sum()), future.size


def _ci(s: Summary, digits: int = 2) -> str:
    lo, hi = s.interval(LEVEL)
    return f"{s.mean:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]"


def verdicts(study: LeakStudy) -> tuple[Verdict, ...]:
    """Decide and confirm the three settings of question (c).

    - Encoder, full statistics: every output may see the whole sequence,
      so no mechanism forbids it; usable if the held-out loss on whole
      sequences is below the loss of predicting 0 (what the model learned
      carries over to new sequences).
    - Causal decoder, full statistics: not usable if outputs depend on
      later inputs (Jacobian); confirmed if generation (step by step) is
      worse than predicting 0 while training was better than it.
    - Causal decoder, causal statistics: usable if no output depends on a
      later input; confirmed if step-by-step and whole-sequence losses
      agree to `SAME_LOSS_RTOL` on every seed and the held-out loss is not
      below the bound.

    Raises
    ------
    TypeError
        If `study` is not a `LeakStudy` (from `leak_study`).
    """
    if not isinstance(study, LeakStudy):
        raise TypeError(f"study must be a LeakStudy, got {type(study).__name__}")
    full, causal = study.full, study.causal
    S = full.test_loss.size
    gain = below_bound(full)
    encoder = Verdict(
        "encoder, full statistics",
        gain.below(LEVEL),
        "",
        True,
        f"held-out - bound {_ci(gain)} (mean [95% CI], {S} seeds)",
    )
    gen = paired(full.stream_loss, full.bound)
    fit = paired(full.train_loss, full.train_bound)
    future, total = sees_future("full")
    decoder_full = Verdict(
        "decoder, full statistics",
        future == 0,
        f"{future} of {total} future entries of the Jacobian non-zero",
        gen.above(LEVEL) and fit.below(LEVEL),
        f"generation - bound {_ci(gen)}; training - bound {_ci(fit)}",
    )
    same = np.abs(causal.stream_loss - causal.test_loss) <= (
        SAME_LOSS_RTOL * causal.test_loss
    )
    future, total = sees_future("causal")
    decoder_causal = Verdict(
        "decoder, causal statistics",
        future == 0,
        f"{future} of {total} future entries of the Jacobian non-zero",
        bool(same.all()) and not below_bound(causal).below(LEVEL),
        f"step by step = whole on {same.sum()} of {S} seeds; "
        f"held-out - bound {_ci(below_bound(causal), 3)}",
    )
    return encoder, decoder_full, decoder_causal
