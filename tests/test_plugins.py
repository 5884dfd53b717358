"""Plugins as their authors and users meet them: installed through the entry-point group, named in every
error, overriding decisions, feeding operators, adapters and report formats into the rest of matrixcore."""

import io
import logging
import re
import sys
from datetime import UTC, datetime

import pytest

from matrixcore import (
    AdapterContext,
    AdapterError,
    ConfigError,
    Decision,
    DueMessages,
    Engine,
    OperatorRegistry,
    PluginError,
    Plugins,
    PriorityChange,
    Ticket,
    hookimpl,
    parse_ruleset,
)
from matrixcore._config import ConnectionConfig
from matrixcore._plugins import AUTOLOAD_ENV

ACME = """\
from matrixcore import AdapterError, AdapterSpec, hookimpl


class AcmeAdapter:
    def __init__(self, connection, context):
        self.name = connection.name
        self.settings = connection.settings
        self.read_only = context.read_only

    def check(self): pass
    def fetch(self, cursor): return iter(())
    def set_priority(self, ticket, change): pass
    def post_message(self, ticket, text, visible_to_requester): raise NotImplementedError
    def list_messages(self, ticket): return []
    def close(self): pass


SCHEMA = {
    "type": "object",
    "required": ["url"],
    "additionalProperties": False,
    "properties": {"url": {"type": "string"}, "page_size": {"type": "integer", "maximum": 500}},
}


@hookimpl
def matrixcore_adapters():
    return [AdapterSpec("acme", AcmeAdapter, SCHEMA, version="2.0", description="Acme Helpdesk")]


@hookimpl
def matrixcore_enrich_ticket(ticket):
    return ticket.evolve(category=ticket.category or "acme")
"""

SHOUTING = """\
from matrixcore import Operator, hookimpl


def shouting(value, expected):
    return isinstance(value, str) and value.isupper() == expected


@hookimpl
def matrixcore_conditions():
    return [Operator("shouting", shouting, description="the text is all capitals")]
"""

NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


def ticket(subject: str = "printer jams", **fields) -> Ticket:
    data = {"id": "7", "subject": subject, "created": "2025-01-06T10:00:00+01:00", **fields}
    return Ticket.from_dict(data, source="test")


@pytest.fixture
def engine(small_rules_text):
    return Engine(parse_ruleset(small_rules_text))


# --- loading ----------------------------------------------------------------------------------------


def test_builtin_features_are_plugins_and_the_default_registry_matches_them():
    plugins = Plugins()
    loaded = {info.name: info for info in plugins.info()}
    assert loaded["matrixcore.engine"].hooks == ("matrixcore_classify", "matrixcore_select_messages")
    assert loaded["matrixcore.operators"].kind == "built-in"
    assert plugins.operators().names() == OperatorRegistry.builtin().names()
    assert "matches" in plugins.operators().names()


def test_an_installed_plugin_loads_through_its_entry_point(install_plugin):
    install_plugin("acme_plugin", ACME, dist="acme-matrixcore", version="1.2", name="acme")
    plugins = Plugins.load()
    info = {i.name: i for i in plugins.info()}["acme"]
    assert (info.kind, info.status, info.distribution, info.version) == (
        "entry point",
        "loaded",
        "acme-matrixcore",
        "1.2",
    )
    assert info.hooks == ("matrixcore_adapters", "matrixcore_enrich_ticket")
    assert info.adapters == ("acme",)
    assert plugins.adapters()["acme"].description == "Acme Helpdesk"
    assert plugins.owner("adapter", "acme") == "plugin 'acme' (acme-matrixcore 1.2)"


def test_the_environment_variable_blocks_installed_plugins_without_importing_them(
    install_plugin, monkeypatch
):
    install_plugin("acme_plugin", ACME)
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    plugins = Plugins.load()
    assert "acme" not in plugins.adapters()
    assert "acme_plugin" not in sys.modules
    (blocked,) = [i for i in plugins.info() if i.name == "acme_plugin"]
    assert blocked.status == "blocked"
    assert AUTOLOAD_ENV in (blocked.error or "")
    assert "acme" in Plugins.load(block_external=False).adapters()


def test_a_plugin_can_be_disabled_by_name_builtin_ones_too(install_plugin):
    install_plugin("acme_plugin", ACME)
    plugins = Plugins.load(disabled=["acme_plugin", "matrixcore.operators"])
    assert "acme" not in plugins.adapters()
    assert "matches" not in plugins.operators()
    assert {i.name: i.status for i in plugins.info()}["acme_plugin"] == "disabled"


def test_a_plugin_that_fails_to_import_is_logged_and_skipped(install_plugin, caplog):
    install_plugin("acme_plugin", ACME)
    install_plugin(
        "broken_plugin", "import not_installed_anywhere\n", dist="broken-matrixcore", version="0.3"
    )
    with caplog.at_level(logging.ERROR, "matrixcore.plugins"):
        plugins = Plugins.load()
    assert "acme" in plugins.adapters()
    (failure,) = plugins.failures
    assert failure.name == "broken_plugin"
    assert "No module named 'not_installed_anywhere'" in (failure.error or "")
    (record,) = caplog.records
    assert record.getMessage().startswith(
        "plugin 'broken_plugin' (broken-matrixcore 0.3) skipped: cannot import"
    )


def test_a_broken_plugin_is_fatal_when_strict(install_plugin):
    install_plugin("broken_plugin", "raise RuntimeError('no licence key')\n", dist="broken-matrixcore")
    with pytest.raises(PluginError) as info:
        Plugins.load(strict=True)
    assert str(info.value) == (
        "plugin 'broken_plugin' (broken-matrixcore 1.0): "
        "cannot import broken_plugin: RuntimeError: no licence key"
    )
    assert info.value.plugin == "broken_plugin"


def test_an_unknown_hook_fails_fast_naming_the_plugin_and_the_hook_meant(install_plugin):
    source = ACME.replace("def matrixcore_adapters", "def matrixcore_adaptres")
    install_plugin("acme_plugin", source)
    plugins = Plugins.load()
    (failure,) = plugins.failures
    assert failure.error == "unknown hook 'matrixcore_adaptres'; did you mean 'matrixcore_adapters'?"
    assert "acme_plugin" not in [i.name for i in plugins.info() if i.status == "loaded"]
    with pytest.raises(PluginError, match="unknown hook 'matrixcore_adaptres'"):
        Plugins.load(strict=True)


def test_unmarked_hook_functions_count_so_their_typos_are_caught_too():
    class Unmarked:
        def matrixcore_enrich_ticket(self, ticket):
            return ticket.evolve(category="unmarked")

    plugins = Plugins()
    plugins.register(Unmarked(), "unmarked")
    assert plugins.enrich(ticket()).category == "unmarked"

    class Misspelt:
        def matrixcore_enrich_tiket(self, ticket):
            return ticket

    with pytest.raises(PluginError, match="did you mean 'matrixcore_enrich_ticket'"):
        plugins.register(Misspelt(), "misspelt")
    assert "misspelt" not in [i.name for i in plugins.info()]


def test_an_argument_the_hook_does_not_pass_is_refused():
    class WrongArgument:
        @hookimpl
        def matrixcore_enrich_ticket(self, tiket):
            return None

    with pytest.raises(PluginError) as info:
        Plugins().register(WrongArgument(), "wrong")
    assert str(info.value).startswith("plugin 'wrong': ")
    assert "{'tiket'} are declared in the hookimpl" in str(info.value)
    assert str(info.value).endswith("(matrixcore_enrich_ticket passes: ticket)")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("return 'acme'", "matrixcore_adapters must return a list of AdapterSpec, not str"),
        (
            "return [{'name': 'acme'}]",
            "matrixcore_adapters returned {'name': 'acme'}, which is not a AdapterSpec",
        ),
        ("raise KeyError('url')", "matrixcore_adapters failed: KeyError: 'url'"),
        (
            "return [AdapterSpec('acme', dict, {'type': 'objekt'})]",
            "the config schema of adapter 'acme' is not a valid JSON Schema",
        ),
        (
            "return [AdapterSpec('acme', dict, {}), AdapterSpec('acme', dict, {})]",
            "offers adapter 'acme' twice",
        ),
    ],
)
def test_bad_records_fail_the_plugin_that_returned_them(install_plugin, body, message):
    install_plugin(
        "bad_plugin",
        "from matrixcore import AdapterSpec, hookimpl\n\n"
        f"@hookimpl\ndef matrixcore_adapters():\n    {body}\n",
    )
    (failure,) = Plugins.load().failures
    assert failure.name == "bad_plugin"
    assert message in (failure.error or "")


def test_registration_hooks_cannot_be_wrappers():
    class Wrapper:
        @hookimpl(wrapper=True)
        def matrixcore_conditions(self):
            return (yield)

    with pytest.raises(PluginError, match="matrixcore_conditions cannot be a wrapper"):
        Plugins().register(Wrapper(), "wrapper")


def test_duplicate_adapter_names_are_an_error_naming_both_plugins(install_plugin):
    install_plugin("acme_plugin", ACME, dist="acme-matrixcore", version="1.2", name="acme")
    install_plugin("acme_fork", ACME, dist="acme-fork", version="0.9", name="fork")
    with pytest.raises(PluginError) as info:
        Plugins.load()
    assert str(info.value).startswith(
        "adapter 'acme' from plugin 'acme' (acme-matrixcore 1.2) clashes with the adapter of that name "
        "from plugin 'fork' (acme-fork 0.9)"
    )
    assert "--disable-plugin" in str(info.value)
    assert "acme" in Plugins.load(disabled=["fork"]).adapters()


def test_an_operator_named_like_a_builtin_one_is_an_error_until_the_builtin_is_disabled(install_plugin):
    install_plugin("regex_plugin", SHOUTING.replace('"shouting"', '"matches"'), dist="re2-matrixcore")
    with pytest.raises(PluginError) as info:
        Plugins.load()
    assert "operator 'matches' from plugin 'regex_plugin' (re2-matrixcore 1.0)" in str(info.value)
    assert "built-in plugin 'matrixcore.operators'" in str(info.value)
    plugins = Plugins.load(disabled=["matrixcore.operators"])
    assert plugins.operators().owner("matches") == "plugin 'regex_plugin' (re2-matrixcore 1.0)"


def test_two_distributions_with_one_entry_point_name_are_named_both(install_plugin):
    install_plugin("acme_plugin", ACME, dist="acme-matrixcore", name="acme")
    install_plugin("other_plugin", SHOUTING, dist="other-matrixcore", name="acme")
    plugins = Plugins.load()
    (failure,) = plugins.failures
    assert failure.distribution == "other-matrixcore"
    assert failure.error == "the name 'acme' is taken by plugin 'acme' (acme-matrixcore 1.0)"


def test_one_module_under_a_renamed_distribution_and_its_stale_metadata_loads_once(install_plugin, caplog):
    """pip leaves a renamed distribution's old metadata (matrixcore-topdesk -> matrixcore-itsm-topdesk)."""
    install_plugin("acme_plugin", ACME, dist="acme-matrixcore-new", name="acme")
    stale = install_plugin("acme_plugin", ACME, dist="acme-matrixcore-old", name="acme").parent
    assert len(list(stale.glob("*.dist-info"))) == 2
    plugins = Plugins.load(strict=True)
    assert plugins.failures == ()
    assert plugins.owner("adapter", "acme") == "plugin 'acme' (acme-matrixcore-new 1.0)"
    assert "installed twice, as acme-matrixcore-new and acme-matrixcore-old" in caplog.text
    assert "pip uninstall acme-matrixcore-old" in caplog.text


# --- decisions --------------------------------------------------------------------------------------


class ForceP1:
    """A site rule the ruleset cannot express: everything from the board is P1."""

    @hookimpl
    def matrixcore_classify(self, engine, ticket, now):
        if ticket.category != "board":
            return None
        return engine.classify(ticket, now, engine.evaluate(ticket)._replace(priority="P1"))


def test_a_plugin_overrides_classify_and_passes_with_none(engine):
    plugins = Plugins()
    plugins.register(ForceP1(), "board")
    board = plugins.classify(engine, ticket(category="board"), NOW)
    assert isinstance(board, Decision)
    assert board.priority == "P1"
    assert board.pickup_by == datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
    assert plugins.classify(engine, ticket(), NOW) == engine.classify(ticket(), NOW)


def test_the_builtin_is_trylast_so_plain_and_tryfirst_plugins_decide_before_it(engine, caplog):
    def forcing(priority, **opts):
        class Plugin:
            @hookimpl(**opts)
            def matrixcore_classify(self, engine, ticket, now):
                return engine.classify(ticket, now, engine.evaluate(ticket)._replace(priority=priority))

        return Plugin()

    plugins = Plugins()
    assert plugins.classify(engine, ticket(), NOW).priority == "P4"
    with caplog.at_level(logging.WARNING, "matrixcore.plugins"):
        plugins.register(forcing("P1", trylast=True), "late")
    assert plugins.classify(engine, ticket(), NOW).priority == "P4"
    assert "plugin 'late': its trylast matrixcore_classify runs after matrixcore's own" in caplog.text
    plugins.register(forcing("P2", tryfirst=True), "first")
    plugins.register(forcing("P3"), "plain")
    assert plugins.classify(engine, ticket(), NOW).priority == "P2"


def test_a_wrapper_adjusts_what_the_builtin_decided(engine):
    seen = []

    class AtLeastP3:
        @hookimpl(wrapper=True)
        def matrixcore_classify(self, engine, ticket, now):
            decision = yield
            seen.append(decision.priority)
            if decision.priority != "P4":
                return decision
            return engine.classify(ticket, now, decision.evaluation._replace(priority="P3"))

    plugins = Plugins()
    plugins.register(AtLeastP3(), "floor")
    assert plugins.classify(engine, ticket(), NOW).priority == "P3"
    assert seen == ["P4"]


def test_a_plugin_overrides_message_selection(engine):
    class QuietDesk:
        @hookimpl
        def matrixcore_select_messages(self, ticket, decision):
            return DueMessages((), (), (), None) if ticket.channel == "email" else None

    plugins = Plugins()
    builtin = plugins.select_messages(engine, ticket(), engine.classify(ticket(), NOW), (), NOW)
    assert [m.policy for m in builtin.messages] == ["ack"]
    plugins.register(QuietDesk(), "quiet")
    email = ticket(channel="email")
    assert plugins.select_messages(engine, email, engine.classify(email, NOW), (), NOW).messages == ()
    assert plugins.select_messages(engine, ticket(), engine.classify(ticket(), NOW), (), NOW) == builtin


def test_without_the_builtin_engine_plugin_nobody_decides(engine):
    plugins = Plugins(disabled=["matrixcore.engine"])
    with pytest.raises(PluginError, match=r"'matrixcore\.engine', which decides .* is disabled"):
        plugins.classify(engine, ticket(), NOW)


# --- observers --------------------------------------------------------------------------------------


def test_enrichers_are_applied_in_order_each_seeing_the_last_ones_ticket():
    class First:
        @hookimpl(tryfirst=True)
        def matrixcore_enrich_ticket(self, ticket):
            return ticket.evolve(subject=ticket.subject + " [first]")

    class Keeps:
        @hookimpl
        def matrixcore_enrich_ticket(self):
            return None

    class Then:
        @hookimpl
        def matrixcore_enrich_ticket(self, ticket):
            return ticket.evolve(subject=ticket.subject + " [then]")

    plugins = Plugins()
    for plugin in (First(), Then(), Keeps()):
        plugins.register(plugin)
    original = ticket("vpn")
    assert plugins.enrich(original).subject == "vpn [first] [then]"
    assert original.subject == "vpn"


def test_an_enricher_that_returns_something_else_is_named():
    class Sloppy:
        @hookimpl
        def matrixcore_enrich_ticket(self, ticket):
            return {"subject": "oops"}

    plugins = Plugins()
    plugins.register(Sloppy(), "sloppy")
    with pytest.raises(PluginError, match="plugin 'sloppy': matrixcore_enrich_ticket returned dict"):
        plugins.enrich(ticket())


def test_an_enricher_failure_carries_the_plugin_name():
    class Offline:
        @hookimpl
        def matrixcore_enrich_ticket(self, ticket):
            raise ConnectionError("CMDB unreachable")

    plugins = Plugins()
    plugins.register(Offline(), "cmdb")
    with pytest.raises(ConnectionError) as info:
        plugins.enrich(ticket())
    assert info.value.__notes__ == ["in matrixcore_enrich_ticket of plugin 'cmdb'"]


def test_observers_see_decisions_and_sync_passes(engine):
    calls = []

    class Metrics:
        @hookimpl
        def matrixcore_decision_recorded(self, connection, decision, change, dry_run):
            calls.append(("decision", connection, decision.priority, change, dry_run))

        @hookimpl
        def matrixcore_sync_start(self, connection, cursor):
            calls.append(("start", connection, cursor))

        @hookimpl
        def matrixcore_sync_finish(self, connection, tickets, changed, messages, error):
            calls.append(("finish", connection, tickets, changed, messages, error))

    plugins = Plugins()
    plugins.register(Metrics(), "metrics")
    plugins.sync_start(connection="prod", cursor="c1", dry_run=False)
    change = PriorityChange(priority="P4")
    t = ticket()
    plugins.decision_recorded(
        connection="prod", ticket=t, decision=engine.classify(t, NOW), change=change, dry_run=False
    )
    failure = AdapterError("HTTP 503", retryable=True)
    plugins.sync_finish(
        connection="prod", cursor="c2", tickets=1, changed=1, messages=0, error=failure, dry_run=False
    )
    assert calls == [
        ("start", "prod", "c1"),
        ("decision", "prod", "P4", change, False),
        ("finish", "prod", 1, 1, 0, failure),
    ]


# --- what plugins feed into the rest ----------------------------------------------------------------

ANGRY_RULE = """\
  - name: angry
    when: {subject: {shouting: true}}
    set: {urgency: high}
defaults:"""


def test_operators_from_a_plugin_work_in_a_rules_file(install_plugin, tmp_path, small_rules_text):
    install_plugin("shouting_plugin", SHOUTING)
    rules = tmp_path / "rules.yaml"
    rules.write_text(small_rules_text.replace("defaults:", ANGRY_RULE, 1))
    with pytest.raises(Exception, match="shouting"):
        Plugins().load_ruleset(rules)
    plugins = Plugins.load()
    engine = Engine(plugins.load_ruleset(rules))
    assert plugins.classify(engine, ticket("PRINTER ON FIRE"), NOW).urgency == "high"
    assert plugins.classify(engine, ticket("printer on fire"), NOW).urgency == "medium"


CONFIG = """\
rules: rules.yaml
connections:
  main:
    adapter: acme
    url: https://acme.example
    pagesize: 100
"""


def test_an_adapters_schema_validates_its_connection_with_path_and_line(install_plugin, tmp_path):
    install_plugin("acme_plugin", ACME)
    config = tmp_path / "matrixcore.yaml"
    config.write_text(CONFIG)
    with pytest.raises(ConfigError) as info:
        Plugins.load().load_config(config)
    (problem,) = info.value.problems
    assert (problem.dotted_path, problem.line) == ("connections.main", 3)
    assert "unknown key 'pagesize'" in problem.message
    config.write_text(CONFIG.replace("pagesize", "page_size"))
    loaded = Plugins.load().load_config(config)
    assert loaded.connections["main"].settings == {"url": "https://acme.example", "page_size": 100}
    with pytest.raises(ConfigError, match="unknown adapter 'acme'"):
        Plugins().load_config(config)


def test_open_adapter_builds_the_connection_with_its_plugins_factory(install_plugin):
    install_plugin("acme_plugin", ACME)
    plugins = Plugins.load()
    connection = ConnectionConfig("main", "acme", {"url": "https://acme.example"})
    adapter = plugins.open_adapter(connection, AdapterContext(read_only=True))
    assert (adapter.name, adapter.read_only) == ("main", True)
    with pytest.raises(
        PluginError, match=r"connection 'x': unknown adapter 'nope' \(installed: (.*, )?acme[,)]"
    ):
        plugins.open_adapter(ConnectionConfig("x", "nope", {}))


def test_a_failing_factory_is_named_with_its_plugin(install_plugin):
    install_plugin("acme_plugin", ACME.replace("self.settings = connection.settings", "1 / 0"))
    plugins = Plugins.load()
    with pytest.raises(PluginError) as info:
        plugins.open_adapter(ConnectionConfig("main", "acme", {}))
    assert str(info.value) == (
        "connection 'main': adapter 'acme' of plugin 'acme_plugin' (acme-plugin 1.0) failed to start: "
        "ZeroDivisionError: division by zero"
    )


def test_a_factory_saying_what_is_wrong_is_passed_through(install_plugin):
    install_plugin(
        "acme_plugin", ACME.replace("self.settings = connection.settings", "raise AdapterError('no url')")
    )
    plugins = Plugins.load()
    with pytest.raises(AdapterError, match=r"^no url$"):
        plugins.open_adapter(ConnectionConfig("main", "acme", {}))


def test_a_factory_returning_no_adapter_is_refused():
    from matrixcore import AdapterSpec

    class NotAnAdapter:
        @hookimpl
        def matrixcore_adapters(self):
            return [AdapterSpec("half", lambda connection, context: object(), {})]

    plugins = Plugins()
    plugins.register(NotAnAdapter(), "half")
    with pytest.raises(PluginError, match="returned object, which lacks the Adapter methods"):
        plugins.open_adapter(ConnectionConfig("c", "half", {}))


REPORT_FORMATS = """\
from matrixcore import ReportFormat, hookimpl


def render_markdown(report, out):
    for row in report:
        out.write(f"- {row}\\n")


@hookimpl
def matrixcore_report_formats():
    return [ReportFormat("markdown", render_markdown, ".md", "text/markdown", "a Markdown list")]
"""


def test_report_formats_come_from_plugins_with_unique_names(install_plugin):
    install_plugin("markdown_plugin", REPORT_FORMATS, dist="mc-markdown")
    fmt = Plugins.load().report_formats()["markdown"]
    out = io.StringIO()
    fmt.render(["4711 P2"], out)
    assert (out.getvalue(), fmt.suffix, fmt.media_type) == ("- 4711 P2\n", ".md", "text/markdown")
    install_plugin("markdown_again", REPORT_FORMATS, dist="mc-markdown-too")
    with pytest.raises(PluginError) as info:
        Plugins.load()
    assert "report format 'markdown' from plugin 'markdown_again' (mc-markdown-too 1.0) clashes" in str(
        info.value
    )
    assert "from plugin 'markdown_plugin' (mc-markdown 1.0)" in str(info.value)


def test_hookspec_arguments_are_documented_in_the_facade():
    """Every facade method passes exactly the arguments its hook declares (no silent drift)."""
    import inspect

    from matrixcore import hookspecs

    facade = {
        "matrixcore_classify": Plugins.classify,
        "matrixcore_select_messages": Plugins.select_messages,
        "matrixcore_enrich_ticket": Plugins.enrich,
        "matrixcore_decision_recorded": Plugins.decision_recorded,
        "matrixcore_sync_start": Plugins.sync_start,
        "matrixcore_sync_finish": Plugins.sync_finish,
    }
    for hook, method in facade.items():
        spec = list(inspect.signature(getattr(hookspecs, hook)).parameters)
        assert list(inspect.signature(method).parameters)[1:] == spec, hook


@pytest.mark.parametrize(
    ("hook", "body", "message"),
    [
        ("matrixcore_conditions", "[Operator('==', len)]", "operator '==' from plugin 'bad' clashes"),
        ("matrixcore_conditions", "[Operator('', len)]", "operator name must be a non-empty string"),
        (
            "matrixcore_report_formats",
            "[ReportFormat('md', None, '.md')]",
            "report format 'md' is not callable",
        ),
        ("matrixcore_report_formats", "[ReportFormat(' md', print, '.md')]", "without surrounding spaces"),
        (
            "matrixcore_adapters",
            "[AdapterSpec('acme', 'acme.Adapter', {})]",
            "adapter 'acme' is not callable",
        ),
    ],
)
def test_bad_operators_formats_and_factories_fail_their_plugin(hook, body, message):
    from matrixcore import AdapterSpec, Operator, ReportFormat

    namespace = {"AdapterSpec": AdapterSpec, "Operator": Operator, "ReportFormat": ReportFormat}
    plugin = type("Bad", (), {hook: staticmethod(hookimpl(lambda: eval(body, namespace)))})
    with pytest.raises(PluginError, match=re.escape(message)):
        Plugins().register(plugin, "bad")


def test_optional_hooks_of_a_newer_matrixcore_are_allowed_and_empty_plugins_warned(caplog):
    class Forward:
        @hookimpl(optionalhook=True)
        def matrixcore_from_the_future(self):
            return None

    with caplog.at_level(logging.WARNING, "matrixcore.plugins"):
        Plugins().register(Forward(), "forward")
        plugins = Plugins.load(block_external=True, disabled=["no_such_plugin"])
    assert "plugin 'forward' implements no matrixcore hook" in caplog.text
    assert "no plugin named 'no_such_plugin' to disable" in caplog.text
    forward = Forward()
    plugins.register(forward, "forward")
    with pytest.raises(PluginError, match="plugin 'again': Plugin already registered under a different name"):
        plugins.register(forward, "again")


def test_decision_hooks_must_return_what_they_promise(engine):
    class Sloppy:
        @hookimpl
        def matrixcore_select_messages(self):
            return ["ack"]

    plugins = Plugins()
    plugins.register(Sloppy(), "sloppy")
    decision = plugins.classify(engine, ticket(), NOW)
    with pytest.raises(PluginError, match=r"matrixcore_select_messages returned \['ack'\], not DueMessages$"):
        plugins.select_messages(engine, ticket(), decision, (), NOW)
