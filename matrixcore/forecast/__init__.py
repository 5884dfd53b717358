"""Workload forecast and staffing per channel: ``matrixcore forecast``.

The public API (the rest of the subpackage is private):

* ``ArrivalCounter``: arrivals counted per channel and interval (``add(channel, created)``);
  ``count_tickets(tickets, ruleset, minutes, zone)`` fills one from any tickets;
* ``build_forecast(counter, ruleset, settings, models)`` -> ``Forecast``: per channel the expected
  arrivals, the scenarios and the staffing plan; ``Forecast.expected_arrivals(channel, t0, t1)`` is
  the expected arrivals per interval for a channel (or ``real-time``, ``right-time``, ``all``)
  between two moments, for other features (predicted misses) to build on;
* ``read_settings(config_section)``, ``ForecastModel`` (what ``matrixcore_forecast_models`` returns)
  and the staffing formulas ``erlang_c``, ``erlang_c_agents``, ``erlang_a``, ``erlang_a_agents``,
  ``deadline_plan``, ``fluid_simulation``, ``rostered``.
"""

from __future__ import annotations

from ._backtest import ModelScore, Selection, backtest
from ._history import INTERVALS, ArrivalCounter, ArrivalSeries
from ._models import BUILTIN_MODELS, DEFAULT_MODEL, ForecastModel
from ._plan import ChannelForecast, EventEffect, Forecast, build_forecast
from ._scenarios import DEFAULT_SCENARIOS, Scenario, nb_quantile
from ._settings import ForecastSettings, read_settings
from ._sources import count_tickets
from ._staffing import (
    Staffing,
    deadline_plan,
    erlang_a,
    erlang_a_agents,
    erlang_c,
    erlang_c_agents,
    fluid_simulation,
    rostered,
)

__all__ = [
    "BUILTIN_MODELS",
    "DEFAULT_MODEL",
    "DEFAULT_SCENARIOS",
    "INTERVALS",
    "ArrivalCounter",
    "ArrivalSeries",
    "ChannelForecast",
    "EventEffect",
    "Forecast",
    "ForecastModel",
    "ForecastSettings",
    "ModelScore",
    "Scenario",
    "Selection",
    "Staffing",
    "backtest",
    "build_forecast",
    "count_tickets",
    "deadline_plan",
    "erlang_a",
    "erlang_a_agents",
    "erlang_c",
    "erlang_c_agents",
    "fluid_simulation",
    "nb_quantile",
    "read_settings",
    "rostered",
]
