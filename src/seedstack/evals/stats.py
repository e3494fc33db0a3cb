"""Statistics for the gate: bootstrap confidence intervals and a paired test on per-case scores.

Why paired: the baseline and the candidate answer the same cases, and case difficulty varies far
more than model quality does; comparing per-case differences removes that variance, so a real
5-point drop stands out from noise that would hide it in two independent means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bootstrap_ci", "paired_bootstrap", "sign_flip_pvalue"]


def bootstrap_ci(
    values: Sequence[float], *, samples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """(mean, low, high): percentile bootstrap interval of the mean."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(samples, arr.size))
    means = arr[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(arr.mean()), float(low), float(high)


def paired_bootstrap(
    candidate: Sequence[float],
    baseline: Sequence[float],
    *,
    samples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(delta, low, high) of mean(candidate - baseline) over the same cases."""
    diffs = np.asarray(candidate, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    return bootstrap_ci(diffs.tolist(), samples=samples, confidence=confidence, seed=seed)


def sign_flip_pvalue(
    candidate: Sequence[float], baseline: Sequence[float], *, samples: int = 10_000, seed: int = 0
) -> float:
    """One-sided p-value that the candidate is worse, by a paired sign-flip permutation test.

    Under "no change" each case's difference is as likely to be positive as negative; the p-value is
    the share of random sign flips whose mean difference is at least as negative as the observed one.
    """
    diffs = np.asarray(candidate, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    diffs = diffs[diffs != 0]
    if diffs.size == 0:
        return 1.0
    observed = diffs.mean()
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(samples, diffs.size))
    flipped = (signs * np.abs(diffs)).mean(axis=1)
    return float((np.count_nonzero(flipped <= observed + 1e-12) + 1) / (samples + 1))
