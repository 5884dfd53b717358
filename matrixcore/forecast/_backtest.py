"""The rolling-origin backtest: how each model would have done on the series' own history.

Train on weeks 1..k, forecast week k+1, for the last (up to 12) k with at least two training weeks;
then per model:

* **MASE**: the mean absolute error over the in-sample mean absolute error of the seasonal naive
  forecast (the same interval last week), per origin, averaged. Below 1 beats the naive forecast.
* **WAPE** per interval and per day: absolute errors over actual arrivals (a day's errors may cancel).
* **coverage**: the share of actual counts inside the P10-P90 interval, the spread calibrated on
  each origin's own training weeks, so the figure is what a planner would have seen.

The model with the lowest MASE is used for the series; with fewer than three whole weeks nothing can
be backtested and the default model is used, which the output says plainly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from ._history import ArrivalSeries
from ._models import DEFAULT_MODEL, ForecastModel
from ._scenarios import calibrate_dispersion, coverage

__all__ = ["MIN_TRAIN_WEEKS", "ModelScore", "Selection", "backtest", "daily_pairs", "held_out_pairs"]

MIN_TRAIN_WEEKS: Final = 2
MAX_ORIGINS: Final = 12
#: Weeks held out one at a time to calibrate the spread.
CALIBRATION_WEEKS: Final = 8
#: Earlier backtest weeks the spread is calibrated on, once there are enough.
CALIBRATION_ORIGINS: Final = 4


@dataclass(frozen=True, slots=True)
class ModelScore:
    model: str
    origins: int
    mase: float
    wape: float
    daily_wape: float
    #: Share of actual counts inside P10-P90; only measured for the chosen model (NaN otherwise).
    coverage: float = math.nan

    def as_dict(self) -> dict[str, object]:
        def number(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 4)

        return {
            "model": self.model,
            "origins": self.origins,
            "mase": number(self.mase),
            "wape": number(self.wape),
            "daily_wape": number(self.daily_wape),
            "coverage": number(self.coverage),
        }


@dataclass(frozen=True, slots=True)
class Selection:
    """The model chosen for a series, with every model's score and why."""

    model: ForecastModel
    scores: tuple[ModelScore, ...] = ()
    note: str = ""
    #: (actual, forecast) of the chosen model over the backtest weeks, for charts.
    pairs: tuple[tuple[float, float], ...] = field(default=(), repr=False)
    #: The calibrated spread for the forecast ahead (negative binomial ``d``, see ``_scenarios``).
    dispersion: float = 0.0
    #: The same for a whole day's arrivals (a stormy day is stormy in most of its hours).
    day_dispersion: float = 0.0

    @property
    def score(self) -> ModelScore | None:
        return next((s for s in self.scores if s.model == self.model.name), None)


def _window(series: ArrivalSeries, start: int, stop: int) -> ArrivalSeries:
    return ArrivalSeries(series.channel, series.minutes, series.first_slot + start, series.values[start:stop])


def held_out_pairs(
    series: ArrivalSeries, model: ForecastModel, weeks: int = CALIBRATION_WEEKS
) -> list[tuple[float, float]]:
    """(actual, forecast) for each of the last ``weeks`` weeks forecast from the other recent weeks."""
    per_week = series.per_week
    n = min(weeks, series.weeks)
    if n - 1 < max(1, model.min_weeks):
        return []
    base = len(series.values) - n * per_week
    blocks = [series.values[base + j * per_week : base + (j + 1) * per_week] for j in range(n)]
    pairs: list[tuple[float, float]] = []
    for j in range(n):
        others = tuple(x for i, block in enumerate(blocks) if i != j for x in block)
        train = ArrivalSeries(series.channel, series.minutes, series.first_slot + base, others)
        forecast = model.predict(train, per_week)
        pairs.extend(zip(blocks[j], forecast, strict=True))
    return pairs


def _calibration_pairs(
    train: ArrivalSeries, model: ForecastModel, earlier: Sequence[Sequence[tuple[float, float]]]
) -> list[tuple[float, float]]:
    """What a spread is calibrated on: the last few one-week-ahead forecasts before this origin, the
    errors a planner meets; while fewer than two exist, each recent week forecast from the others."""
    if len(earlier) >= 2:
        return [pair for week in earlier[-CALIBRATION_ORIGINS:] for pair in week]
    return held_out_pairs(train, model)


def daily_pairs(pairs: Sequence[tuple[float, float]], phase: int, per_day: int) -> list[tuple[float, float]]:
    """Interval pairs summed per whole local day (``pairs`` start at slot ``phase`` of the week)."""
    skip = (per_day - phase % per_day) % per_day
    out = []
    for start in range(skip, len(pairs) - per_day + 1, per_day):
        day = pairs[start : start + per_day]
        out.append((sum(a for a, _ in day), sum(f for _, f in day)))
    return out


def _scale(train: Sequence[float], per_week: int) -> float:
    diffs = [abs(train[t] - train[t - per_week]) for t in range(per_week, len(train))]
    return sum(diffs) / len(diffs) if diffs else 0.0


def backtest(series: ArrivalSeries, models: Sequence[ForecastModel]) -> Selection:
    """Score every model on the series' own history and choose the best."""
    by_name = {m.name: m for m in models}
    default = by_name.get(DEFAULT_MODEL) or models[0]
    per_week, per_day = series.per_week, series.per_day
    weeks = series.weeks
    if weeks < MIN_TRAIN_WEEKS + 1:
        note = (
            f"too little history to backtest: {weeks} whole week{'s' if weeks != 1 else ''} "
            f"({MIN_TRAIN_WEEKS + 1} needed); {default.name} used unscored"
        )
        held_out = held_out_pairs(series, default)
        return Selection(
            default,
            (),
            note,
            (),
            calibrate_dispersion(held_out),
            calibrate_dispersion(daily_pairs(held_out, series.phase, per_day)),
        )
    origins = list(range(max(MIN_TRAIN_WEEKS, weeks - MAX_ORIGINS), weeks))
    values = series.values
    scores: list[ModelScore] = []
    forecasts: dict[str, list[list[float]]] = {}
    for model in models:
        usable = [k for k in origins if k >= model.min_weeks]
        if not usable:
            continue
        mases: list[float] = []
        abs_err = total = day_err = 0.0
        runs: list[list[float]] = []
        for k in usable:
            train = _window(series, 0, k * per_week)
            actual = values[k * per_week : (k + 1) * per_week]
            forecast = [max(0.0, float(x)) for x in model.predict(train, per_week)]
            runs.append(forecast)
            errors = [a - f for a, f in zip(actual, forecast, strict=True)]
            scale = _scale(train.values, per_week)
            if scale > 0:
                mases.append(sum(abs(e) for e in errors) / per_week / scale)
            abs_err += sum(abs(e) for e in errors)
            total += sum(actual)
            day_err += sum(abs(sum(errors[d : d + per_day])) for d in range(0, per_week, per_day))
        forecasts[model.name] = runs
        scores.append(
            ModelScore(
                model.name,
                len(usable),
                sum(mases) / len(mases) if mases else math.nan,
                abs_err / total if total else math.nan,
                day_err / total if total else math.nan,
            )
        )
    ranked = sorted(
        (s for s in scores if not math.isnan(s.mase) and s.origins == len(origins)),
        key=lambda s: (s.mase, s.model != default.name),
    )
    chosen = by_name[ranked[0].model] if ranked else default
    pairs: list[tuple[float, float]] = []
    inside = 0.0
    dispersion = 0.05
    weekly: list[list[tuple[float, float]]] = []
    for k, forecast in zip(origins, forecasts.get(chosen.name, []), strict=False):
        train = _window(series, 0, k * per_week)
        dispersion = calibrate_dispersion(_calibration_pairs(train, chosen, weekly), start=dispersion)
        actual = values[k * per_week : (k + 1) * per_week]
        week_pairs = list(zip(actual, forecast, strict=True))
        inside += coverage(week_pairs, dispersion) * len(week_pairs)
        weekly.append(week_pairs)
        pairs.extend(week_pairs)
    final = [
        ModelScore(
            s.model, s.origins, s.mase, s.wape, s.daily_wape, inside / len(pairs) if pairs else math.nan
        )
        if s.model == chosen.name
        else s
        for s in scores
    ]
    note = "" if ranked else f"no model could be scored on every origin; {default.name} used"
    recent = [pair for week in weekly[-CALIBRATION_ORIGINS:] for pair in week]
    if len(weekly) < 2:
        recent = held_out_pairs(series, chosen)
    spread = calibrate_dispersion(recent, start=dispersion)
    day_spread = calibrate_dispersion(daily_pairs(recent, series.phase, per_day))
    return Selection(chosen, tuple(final), note, tuple(pairs), spread, day_spread)
