"""Scenarios: how many tickets to dress for, as quantiles of an honest spread around the forecast.

Ticket arrivals vary far more than a Poisson process (on ServiceNow's log the variance is about 7
times the mean), so Poisson intervals are too narrow. Counts here are negative binomial with
variance ``mu + d * mu^2``, and ``d`` is calibrated per series: each of the recent weeks is forecast
from the others, and ``d`` is the smallest value that puts 80% of those held-out counts inside the
80% interval. Calibrated that way the interval is neither too narrow nor needlessly wide on the
series' own history (ServiceNow's log: 82% of a week ahead inside the 80% interval).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_SCENARIOS",
    "Scenario",
    "calibrate_dispersion",
    "nb_quantile",
    "scenarios_from_config",
]

#: The interval whose coverage calibrates the spread: P10 to P90.
INTERVAL: Final = (0.10, 0.90)
_MAX_DISPERSION: Final = 4.0
_MIN_DISPERSION: Final = 0.001
_MIN_BUSY: Final = 24


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named quantile of the arrivals: "sunny" is the median, "stormy" a bad week's count."""

    name: str
    quantile: float


DEFAULT_SCENARIOS: Final = (
    Scenario("sunny", 0.50),
    Scenario("partly cloudy", 0.80),
    Scenario("stormy", 0.95),
)


def scenarios_from_config(data: Mapping[str, float] | None) -> tuple[Scenario, ...]:
    """``{name: quantile}`` from the config (sorted by quantile), or the three defaults."""
    if not data:
        return DEFAULT_SCENARIOS
    return tuple(sorted((Scenario(str(k), float(v)) for k, v in data.items()), key=lambda s: s.quantile))


def _params(mu: float, dispersion: float) -> tuple[float, float] | None:
    """Negative binomial (r, p) for mean ``mu`` and variance ``mu + dispersion * mu^2``; None: Poisson."""
    if dispersion <= 1e-9:
        return None
    r = 1.0 / dispersion
    return r, r / (r + mu)


def _cdf_upto(mu: float, dispersion: float, k: int) -> tuple[float, float]:
    """P(X <= k - 1) and P(X <= k)."""
    if k < 0:
        return 0.0, 0.0
    params = _params(mu, dispersion)
    if params is None:
        pmf = math.exp(-mu)
        step = None
    else:
        r, p = params
        pmf = math.exp(r * math.log(p))
        step = (r, 1.0 - p)
    below = 0.0
    total = pmf
    for i in range(1, k + 1):
        below = total
        pmf *= mu / i if step is None else (i - 1 + step[0]) / i * step[1]
        total += pmf
    return below, total


def nb_quantile(mu: float, dispersion: float, q: float) -> int:
    """The smallest count whose cumulative probability reaches ``q``."""
    if mu <= 0:
        return 0
    if mu > 2000:  # a normal approximation where the sums would be long and the difference nil
        sd = math.sqrt(mu + dispersion * mu * mu)
        return max(0, math.ceil(mu + sd * _normal_quantile(q) - 0.5))
    params = _params(mu, dispersion)
    if params is None:
        pmf = math.exp(-mu)
        r, tail = 0.0, 0.0
    else:
        r, p = params
        pmf = math.exp(r * math.log(p))
        tail = 1.0 - p
    total, k = pmf, 0
    while total < q and k < 100_000:
        k += 1
        pmf *= mu / k if params is None else (k - 1 + r) / k * tail
        total += pmf
    return k


def _normal_quantile(q: float) -> float:
    """Acklam's rational approximation of the standard normal quantile (error below 1.2e-9)."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
         -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
         -1.328068155288572e01)  # fmt: skip
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
         4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    if q < 0.02425:
        t = math.sqrt(-2 * math.log(q))
        return (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) / (
            (((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1
        )
    if q > 1 - 0.02425:
        return -_normal_quantile(1 - q)
    u = q - 0.5
    t = u * u
    return (
        (((((a[0] * t + a[1]) * t + a[2]) * t + a[3]) * t + a[4]) * t + a[5])
        * u
        / (((((b[0] * t + b[1]) * t + b[2]) * t + b[3]) * t + b[4]) * t + 1)
    )


def coverage(pairs: Sequence[tuple[float, float]], dispersion: float) -> float:
    """The share of ``(actual, expected)`` pairs inside the P10-P90 interval."""
    if not pairs:
        return math.nan
    lo, hi = INTERVAL
    inside = 0
    for actual, mu in pairs:
        k = round(actual)
        below, upto = _cdf_upto(mu, dispersion, k) if mu > 0 else (0.0, 1.0)
        # lo-quantile <= k  <=>  F(k) >= lo ;  k <= hi-quantile  <=>  F(k - 1) < hi
        inside += upto >= lo and below < hi
    return inside / len(pairs)


def calibrate_dispersion(
    pairs: Sequence[tuple[float, float]], target: float = 0.80, start: float = 0.05
) -> float:
    """The smallest dispersion putting ``target`` of the held-out ``pairs`` inside P10-P90.

    Only intervals expecting at least one ticket count (while there are enough of them): a quiet night
    hour's interval covers its zero whatever the spread, and would hide a busy hour's too narrow one.
    Searched on a log scale from ``start`` (the previous origin's value makes a good one): a bracket
    of factors of two, then halving, to within 5%.
    """
    busy = [pair for pair in pairs if pair[1] >= 1.0]
    if len(busy) >= _MIN_BUSY:
        pairs = busy
    if not pairs or coverage(pairs, 0.0) >= target:
        return 0.0
    lo, hi = 0.0, min(max(start, _MIN_DISPERSION), _MAX_DISPERSION)
    while coverage(pairs, hi) < target:
        if hi >= _MAX_DISPERSION:
            return _MAX_DISPERSION
        lo, hi = hi, min(hi * 2, _MAX_DISPERSION)
    if lo == 0.0:
        lo = hi / 2
        while lo > _MIN_DISPERSION and coverage(pairs, lo) >= target:
            lo, hi = lo / 2, lo
        if lo <= _MIN_DISPERSION:
            return hi
    while hi / lo > 1.05:
        mid = math.sqrt(lo * hi)
        if coverage(pairs, mid) < target:
            lo = mid
        else:
            hi = mid
    return hi
