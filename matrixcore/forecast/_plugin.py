"""The built-in plugin ``matrixcore.forecast``: offers the built-in forecast models through the same
hook a plugin uses, so they take part in the backtest on equal terms."""

from __future__ import annotations

from collections.abc import Sequence

from matrixcore.hookspecs import hookimpl

from ._models import BUILTIN_MODELS, ForecastModel

__all__ = ["matrixcore_forecast_models"]


@hookimpl
def matrixcore_forecast_models() -> Sequence[ForecastModel]:
    return BUILTIN_MODELS
