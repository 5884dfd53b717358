"""The forecast as a planner relies on it: history counted right, models backtested honestly,
scenarios calibrated, holidays and events applied, and a small API other features build on."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matrixcore import Plugins, hookimpl, parse_ruleset
from matrixcore.forecast import (
    BUILTIN_MODELS,
    ArrivalCounter,
    ArrivalSeries,
    ForecastModel,
    backtest,
    build_forecast,
    count_tickets,
    nb_quantile,
    read_settings,
)
from matrixcore.forecast._history import slot_of
from matrixcore.forecast._scenarios import coverage
from matrixcore.testing.arrivals import arrival_counts

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2025, 3, 3)  # local, naive: a Monday
RULES = """\
version: 1
matrix:
  impact: [high, low]
  urgency: [high, low]
  cells: {high: {high: P1, low: P2}, low: {high: P2, low: P2}}
priorities:
  P1: {pickup: {within: 1h}, resolve: {within: 8h}}
  P2: {pickup: {within: 4h}, resolve: {within: 16h}}
default_calendar: office
calendars:
  office:
    timezone: Europe/Amsterdam
    hours: {mon-fri: ["08:00-18:00"]}
    holidays: {country: NL}
channels:
  phone: {class: real-time, pickup: {within: 20s}}
  email: {class: right-time, pickup: {within: 4h}}
  chat: {class: real-time, aliases: [webchat]}
rules: []
defaults: {impact: low, urgency: low}
"""


def ruleset():
    return parse_ruleset(RULES, "rules.yaml")


def series_of(counts, first=MONDAY, channel="phone"):
    return ArrivalSeries(channel, 60, slot_of(first, 60, AMS), tuple(float(c) for c in counts))


def counter_of(channels: dict[str, list[int]], start=MONDAY) -> ArrivalCounter:
    counter = ArrivalCounter(60, AMS)
    first = slot_of(start, 60, AMS)
    for name, counts in channels.items():
        for i, count in enumerate(counts):
            counter.add_count(name, first + i, float(count))
    return counter


# --- history ---------------------------------------------------------------------------------------


def test_arrivals_are_counted_per_channel_in_local_hours_and_cut_into_whole_weeks():
    counter = ArrivalCounter(60, AMS)
    # Monday 2025-03-03 09:10 local is 08:10 UTC: counted in Monday's 09:00 slot
    counter.add("phone", datetime(2025, 3, 3, 8, 10, tzinfo=UTC))
    counter.add("phone", datetime(2025, 3, 3, 9, 59, tzinfo=AMS))
    counter.add("phone", datetime(2025, 3, 17, 9, 0, tzinfo=AMS))
    counter.add("email", datetime(2025, 3, 12, 9, 0, tzinfo=AMS))
    end = slot_of(datetime(2025, 3, 17, 10, 0), 60, AMS)
    series = counter.series(end)
    phone = series["phone"]
    assert phone.weeks == 2  # 2 weeks and 1 hour of data: whole weeks only, ending at the end
    assert phone.end == datetime(2025, 3, 17, 10, 0)
    assert phone.start == datetime(2025, 3, 3, 10, 0)
    assert sum(phone.values) == 1  # the two Monday-09:00 arrivals fall before the two whole weeks
    assert phone.phase == 10  # Monday 10:00 is the week's 11th hour
    assert series["email"].weeks == 0  # its history is its own: 5 days, not a whole week


def test_a_channel_alias_counts_under_the_channel_and_handle_times_are_kept():
    from matrixcore import Ticket

    tickets = [
        Ticket(
            "t", "1", datetime(2025, 3, 3, 9, tzinfo=AMS), channel="WebChat", custom={"handle_minutes": 4}
        ),
        Ticket("t", "2", datetime(2025, 3, 3, 9, tzinfo=AMS), channel="chat", custom={"handle_minutes": "6"}),
        Ticket("t", "3", datetime(2025, 3, 3, 9, tzinfo=AMS), channel="Fax"),
    ]
    counter = count_tickets(tickets, ruleset(), 60, AMS)
    assert counter.channels == ["chat", "fax"]
    assert counter.handle["chat"] == (10.0, 2)
    assert counter.tickets == 3


# --- models and backtest ---------------------------------------------------------------------------


def test_every_model_forecasts_whole_weeks_aligned_with_the_history():
    weekly = [float(h % 24) for h in range(168)]
    series = series_of(weekly * 3)
    for model in BUILTIN_MODELS:
        forecast = list(model.predict(series, 200))
        assert len(forecast) == 200
        assert forecast[:168] == pytest.approx(weekly) if model.name != "day-profile" else True
        assert forecast[168:200] == pytest.approx(forecast[:32])


def test_the_backtest_scores_each_model_and_chooses_the_best_on_a_desk_like_series():
    series = series_of(arrival_counts(16, 160, seed=3))
    selection = backtest(series, BUILTIN_MODELS)
    scores = {s.model: s for s in selection.scores}
    assert set(scores) == {"seasonal-naive", "week-average", "day-profile"}
    assert all(s.origins == 12 for s in scores.values())
    assert selection.model.name == min(scores.values(), key=lambda s: s.mase).model
    # averaging beats last week's count on noisy arrivals, and pooling the day's shape beats both
    assert scores["day-profile"].mase < scores["week-average"].mase < scores["seasonal-naive"].mase
    assert scores["seasonal-naive"].daily_wape < scores["seasonal-naive"].wape
    chosen = selection.score
    # calibrated on the intervals expecting a ticket or more; quiet nights cover themselves
    assert chosen is not None
    assert 0.76 <= chosen.coverage <= 0.92
    assert math.isnan(scores["seasonal-naive"].coverage)


def test_too_little_history_is_said_plainly_and_the_default_model_is_used():
    selection = backtest(series_of(arrival_counts(2, 400, seed=1, dispersion=0.2)), BUILTIN_MODELS)
    assert selection.model.name == "week-average"
    assert selection.scores == ()
    assert "too little history to backtest: 2 whole weeks (3 needed)" in selection.note
    assert selection.dispersion > 0  # still calibrated: each week forecast from the other


def test_the_interval_is_calibrated_neither_too_narrow_nor_needlessly_wide():
    counts = arrival_counts(12, 200, seed=5, dispersion=0.15)
    series = series_of(counts[: 11 * 168])
    selection = backtest(series, BUILTIN_MODELS)
    ahead = selection.model.predict(series, 168)
    pairs = list(zip(counts[11 * 168 :], ahead, strict=True))
    assert 0.72 <= coverage(pairs, selection.dispersion) <= 0.9
    # in the busy hours a Poisson interval would be far too narrow on the same counts
    busy = [(a, mu) for a, mu in pairs if mu >= 8]
    assert len(busy) > 40
    assert coverage(busy, 0.0) < coverage(busy, selection.dispersion) - 0.1


def test_negative_binomial_quantiles_widen_with_dispersion():
    assert nb_quantile(10, 0.0, 0.5) == 10
    assert nb_quantile(10, 0.0, 0.95) == 15  # Poisson(10)
    assert nb_quantile(10, 0.5, 0.95) > 15
    assert nb_quantile(0, 0.3, 0.95) == 0
    assert nb_quantile(5000, 0.01, 0.5) == pytest.approx(5000, abs=60)


# --- the whole forecast ----------------------------------------------------------------------------


def desk(weeks=10):
    return counter_of(
        {
            "phone": arrival_counts(weeks, 120, seed=1),
            "email": arrival_counts(weeks, 80, seed=2),
        }
    )


def test_a_forecast_has_scenarios_and_a_staffing_plan_per_channel():
    counter = desk()
    settings = read_settings(
        {
            "weeks": 2,
            "channels": {"phone": {"aht": "6m", "service_level": 0.8}, "email": {"aht": "12m"}},
        }
    )
    result = build_forecast(counter, ruleset(), settings, BUILTIN_MODELS)
    assert result.start == datetime(2025, 5, 12, tzinfo=AMS)  # the end of 10 whole weeks
    phone, email = result.channel("phone"), result.channel("email")
    assert phone is not None
    assert email is not None
    assert len(phone.expected) == 2 * 168
    assert phone.method == "erlang-c"
    assert email.method == "deadline"
    assert phone.settings.answer_in == pytest.approx(20 / 60)  # the channel's pickup target
    assert phone.settings.target_source == "the channel's pickup target"
    sunny, cloudy, stormy = (phone.volumes[n] for n in ("sunny", "partly cloudy", "stormy"))
    assert sum(sunny) < sum(cloudy) < sum(stormy)
    # staffed only inside business hours, and more for worse weather
    for name in phone.agents:
        assert all(a == 0 for a, open_ in zip(phone.agents[name], phone.open, strict=True) if not open_)
    assert sum(phone.agents["stormy"]) > sum(phone.agents["sunny"]) > 0
    assert all(
        r >= a / 0.7 - 1e-9 for a, r in zip(phone.agents["sunny"], phone.rostered["sunny"], strict=True)
    )
    assert phone.aht == 6
    assert phone.aht_source == "configured"
    low, high = phone.band
    assert all(lo <= hi for lo, hi in zip(low, high, strict=True))


def test_holidays_are_left_out_of_the_history_and_forecast_as_holidays():
    counts = arrival_counts(8, 120, seed=1)  # Mon 3 March .. Sun 27 April 2025
    easter_monday = 7 * 168  # Monday 21 April: the desk's phones were nearly silent
    for i in range(easter_monday, easter_monday + 24):
        counts[i] = counts[i] // 10
    counter = counter_of({"phone": counts})
    result = build_forecast(counter, ruleset(), read_settings({"weeks": 6}), BUILTIN_MODELS)
    phone = result.channel("phone")
    assert phone is not None
    assert phone.holiday_factor is not None
    # Good Friday (a normal day at this desk), Easter, King's Day (a Saturday) and the silent Monday
    assert phone.holiday_factor < 0.75
    day: dict[date, float] = {}
    for i, value in enumerate(phone.expected):
        day[phone.slot_time(i).date()] = day.get(phone.slot_time(i).date(), 0.0) + value
    for holiday in (date(2025, 5, 5), date(2025, 5, 29)):  # Liberation Day (Mon), Ascension (Thu)
        assert day[holiday] == pytest.approx(
            phone.holiday_factor * day[holiday - timedelta(days=7)], rel=1e-6
        )
    # the silent Monday did not drag the normal Mondays down: it was left out of the averages
    clean = counter_of({"phone": arrival_counts(8, 120, seed=1)})
    plain = build_forecast(clean, ruleset(), read_settings({"weeks": 1}), BUILTIN_MODELS).channel("phone")
    assert plain is not None
    assert day[date(2025, 4, 28)] == pytest.approx(sum(plain.expected[:24]), rel=0.08)


def test_a_holiday_ahead_without_one_in_the_history_is_forecast_like_the_quietest_day():
    counter = counter_of({"phone": arrival_counts(5, 120, seed=2)}, start=datetime(2025, 11, 17))
    result = build_forecast(counter, ruleset(), read_settings({"weeks": 1}), BUILTIN_MODELS)
    phone = result.channel("phone")
    assert phone is not None
    assert phone.holiday_factor is None
    days: dict[date, float] = {}
    for i, value in enumerate(phone.expected):
        days[phone.slot_time(i).date()] = days.get(phone.slot_time(i).date(), 0.0) + value
    quietest = min(days[d] for d in days if d.weekday() >= 5)
    assert days[date(2025, 12, 25)] == pytest.approx(quietest, rel=1e-6)  # Christmas, a Thursday
    assert days[date(2025, 12, 24)] > 5 * quietest


def test_known_events_scale_the_forecast_ahead_and_are_measured_in_the_history():
    counts = arrival_counts(8, 100, seed=4)
    # a campaign in week 6 doubled the portal's Tuesday
    tuesday = 5 * 168 + 24
    for i in range(tuesday, tuesday + 24):
        counts[i] *= 2
    counter = counter_of({"email": counts})
    settings = read_settings(
        {
            "weeks": 1,
            "events": [
                {"name": "mailing", "start": "2025-04-08", "effect": "+100%"},
                {
                    "name": "release",
                    "start": "2025-04-29",
                    "end": "2025-04-30",
                    "channels": ["email"],
                    "effect": 0.5,
                },
                {"name": "phone outage", "start": "2025-04-29", "channels": ["phone"], "effect": 2},
            ],
        }
    )
    result = build_forecast(counter, ruleset(), settings, BUILTIN_MODELS)
    email = result.channel("email")
    assert email is not None
    effects = {e.name: e for e in email.events}
    assert set(effects) == {"mailing", "release"}
    assert not effects["mailing"].ahead
    assert effects["mailing"].measured == pytest.approx(1.0, abs=0.25)
    assert effects["release"].ahead
    assert effects["release"].measured is None
    past_only = read_settings(
        {"weeks": 1, "events": [{"name": "mailing", "start": "2025-04-08", "effect": 1}]}
    )
    normal = build_forecast(counter, ruleset(), past_only, BUILTIN_MODELS).channel("email")
    assert normal is not None
    i = next(i for i in range(168) if email.slot_time(i) == datetime(2025, 4, 29, 10))
    assert email.expected[i] == pytest.approx(1.5 * normal.expected[i], rel=1e-6)
    monday = next(i for i in range(168) if email.slot_time(i) == datetime(2025, 4, 28, 10))
    assert email.expected[monday] == pytest.approx(normal.expected[monday], rel=1e-9)  # not touched
    # the mailing's day was left out of the history: Tuesdays are forecast as without it
    plain = build_forecast(
        counter_of({"email": arrival_counts(8, 100, seed=4)}),
        ruleset(),
        read_settings({"weeks": 1}),
        BUILTIN_MODELS,
    )
    plain_email = plain.channel("email")
    assert plain_email is not None
    assert sum(normal.expected[24:48]) == pytest.approx(sum(plain_email.expected[24:48]), rel=0.1)


def test_expected_arrivals_per_interval_for_a_channel_or_a_class_between_two_moments():
    counter = desk(weeks=4)
    result = build_forecast(counter, ruleset(), read_settings({"weeks": 1}), BUILTIN_MODELS)
    phone = result.channel("phone")
    assert phone is not None
    t0 = datetime(2025, 3, 31, 9, 30, tzinfo=AMS)
    t1 = datetime(2025, 3, 31, 12, 0, tzinfo=AMS)
    rows = result.expected_arrivals("phone", t0, t1)
    assert [r[0].hour for r in rows] == [9, 10, 11]
    nine = next(i for i in range(168) if phone.slot_time(i) == datetime(2025, 3, 31, 9))
    assert rows[0][2] == pytest.approx(phone.expected[nine] / 2)  # half of 09:00-10:00
    assert rows[1][2] == pytest.approx(phone.expected[nine + 1])
    both = result.expected_arrivals("all", t0, t1)
    email = result.channel("email")
    assert email is not None
    assert both[1][2] == pytest.approx(phone.expected[nine + 1] + email.expected[nine + 1])
    assert result.expected_arrivals("real-time", t0, t1) == rows
    assert result.expected_arrivals("phone", t0 - timedelta(weeks=2), t0 - timedelta(weeks=1)) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        result.expected_arrivals("phone", datetime(2025, 3, 31), t1)


def test_a_channel_with_no_whole_week_says_so_and_forecasts_nothing():
    counter = counter_of({"phone": arrival_counts(3, 50)})
    for slot in range(3 * 168 - 100, 3 * 168):
        counter.add_count("chat", slot_of(MONDAY, 60, AMS) + slot, 1.0)
    result = build_forecast(counter, ruleset(), read_settings({}), BUILTIN_MODELS)
    chat = result.channel("chat")
    assert chat is not None
    assert chat.expected == ()
    assert "no whole week" in chat.note


# --- the hook --------------------------------------------------------------------------------------


class DoubleLastWeek:
    """A plugin with a model that is always wrong by a factor of two."""

    @hookimpl
    def matrixcore_forecast_models(self):
        def predict(series, horizon):
            week = series.values[-series.per_week :]
            return [2 * week[i % series.per_week] for i in range(horizon)]

        return [ForecastModel("double", predict, "twice last week", min_weeks=1)]


class ProfileCopy:
    """A plugin whose model is the built-in day profile under another name."""

    @hookimpl
    def matrixcore_forecast_models(self):
        def predict(series, horizon):
            from matrixcore.forecast._models import day_profile

            return [x * 1.0 for x in day_profile(series, horizon)]

        return [ForecastModel("profile-copy", predict, "the built-in day profile, by a plugin")]


def test_a_plugin_model_takes_part_in_the_backtest_like_the_built_ins():
    plugins = Plugins()
    plugins.register(DoubleLastWeek(), "double")
    models = plugins.forecast_models()
    assert [m.name for m in models] == ["seasonal-naive", "week-average", "day-profile", "double"]
    selection = backtest(series_of(arrival_counts(8, 100, seed=2)), models)
    scores = {s.model: s.mase for s in selection.scores}
    assert scores["double"] > scores["seasonal-naive"]
    assert selection.model.name == "day-profile"


def test_a_plugin_model_that_clashes_with_a_built_in_is_an_error_naming_the_plugin():
    class Clash:
        @hookimpl
        def matrixcore_forecast_models(self):
            return [ForecastModel("week-average", lambda s, h: [0.0] * h)]

    class Broken:
        @hookimpl
        def matrixcore_forecast_models(self):
            return ["not a model"]

    from matrixcore import PluginError

    plugins = Plugins()
    plugins.register(Clash(), "clash")
    with pytest.raises(PluginError, match="forecast model 'week-average' from plugin 'clash' clashes"):
        plugins.forecast_models()
    plugins = Plugins()
    plugins.register(Broken(), "broken")
    with pytest.raises(PluginError, match=r"plugin 'broken'.*not a ForecastModel"):
        plugins.forecast_models()


def test_a_plugin_model_that_wins_the_backtest_forecasts():
    plugins = Plugins()
    plugins.register(ProfileCopy(), "copy")
    counter = desk(weeks=6)
    result = build_forecast(counter, ruleset(), read_settings({"weeks": 1}), plugins.forecast_models())
    phone = result.channel("phone")
    assert phone is not None
    assert phone.selection is not None
    # equal scores: the built-in registered first keeps it (ties never go to a later model)
    assert phone.selection.model.name == "day-profile"
