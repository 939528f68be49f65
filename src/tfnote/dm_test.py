"""The Diebold-Mariano test: is one forecast really more accurate than another, or lucky?

Two forecasts of the same days have errors e1 and e2. Their loss differential
d_t = e1_t^2 - e2_t^2 says, day by day, how much more the first one lost. If both are
equally accurate, d has mean 0; the test asks whether the mean of d is further from 0
than its day-to-day scatter allows.

    DM  = mean(d) / sqrt(V / n),  V = gamma_0 + 2 * sum(gamma_k, k = 1 .. h-1)
    DM* = DM * sqrt((n + 1 - 2h + h(h-1)/n) / n)          Harvey, Leybourne, Newbold (1997)
    p   = 2 * P(T > |DM*|),  T ~ Student's t with n - 1 degrees of freedom

gamma_k is the autocovariance of d at lag k, divided by n (R's acf). For one-step forecasts
(h = 1) only gamma_0 remains, and DM* is the t statistic of mean(d) times sqrt((n-1)/n).
This is what R's forecast::dm.test computes (its default variance estimator).

Diebold, F.X. and Mariano, R.S. (1995). Comparing predictive accuracy. Journal of Business
and Economic Statistics 13, 253-263. Harvey, D., Leybourne, S. and Newbold, P. (1997).
Testing the equality of prediction mean squared errors. International Journal of
Forecasting 13, 281-291.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tfnote.errors import TfnoteError

LEVEL = 0.05  # the verdict's significance level


@dataclass
class DMResult:
    statistic: float  # DM*, negative when the first forecast has the smaller loss
    p_value: float  # two-sided
    mean_difference: float  # mean of |e1|^power - |e2|^power
    n: int

    @property
    def verdict(self) -> str:
        """'better', 'worse' (the first forecast against the second) or 'no better'."""
        if not self.p_value < LEVEL:
            return "no better"
        return "better" if self.mean_difference < 0 else "worse"


def dm_test(e1, e2, h: int = 1, power: int = 2) -> DMResult:
    """The HLN-corrected Diebold-Mariano test of forecast errors `e1` against `e2`."""
    from scipy import stats

    e1 = np.asarray(e1, dtype="float64").reshape(-1)
    e2 = np.asarray(e2, dtype="float64").reshape(-1)
    n = len(e1)
    if len(e2) != n or n < 2 or not 1 <= h < n:
        raise TfnoteError(f"the DM test needs two error series of the same length > h (got {n})")
    d = np.abs(e1) ** power - np.abs(e2) ** power
    mean = float(d.mean())
    dev = d - mean
    gamma = [float(dev[k:] @ dev[: n - k]) / n for k in range(h)]
    variance = (gamma[0] + 2 * sum(gamma[1:])) / n  # of mean(d)
    if variance <= 0:  # d is constant: identical forecasts, or one always ahead by the same
        statistic = 0.0 if mean == 0 else math.copysign(math.inf, mean)
    else:
        correction = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
        statistic = mean / math.sqrt(variance) * correction
    p_value = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return DMResult(statistic=float(statistic), p_value=p_value, mean_difference=mean, n=n)
