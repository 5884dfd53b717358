"""Credentials are masked in every log line and error, whatever form they take."""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import pytest

from matrixcore import RedactingFilter, Redactor, Secret, install_redaction
from matrixcore._redact import safe_url, truncate

pytest_plugins = ["pytester"]


def test_known_secrets_and_their_wire_forms_are_masked() -> None:
    redactor = Redactor([Secret("p&ss w0rd/x", "env:PW")])
    text = f"body: p&ss w0rd/x; url: ?pw={quote('p&ss w0rd/x', safe='')}; form: pw=p%26ss+w0rd%2Fx"
    assert redactor.redact(text) == "body: ***; url: ?pw=***; form: pw=***"


def test_basic_logins_are_masked_as_sent() -> None:
    redactor = Redactor()
    redactor.add_basic("agent", Secret("hunter2-long"))
    token = base64.b64encode(b"agent:hunter2-long").decode()
    assert redactor.redact(f"sent {token} and hunter2-long") == "sent *** and ***"


def test_authorization_headers_are_masked_without_knowing_the_secret() -> None:
    redactor = Redactor()
    assert redactor.redact("{'Authorization': 'Bearer abc.def.ghi'}") == "{'Authorization': 'Bearer ***'}"
    assert redactor.redact("Proxy-Authorization: Basic dXNlcjpwYXNz") == "Proxy-Authorization: Basic ***"
    assert redactor.redact("authorization=token123") == "authorization=***"
    assert redactor.redact("curl -H 'x' bearer eyJhbGciOiJIUzI1NiJ9") == "curl -H 'x' bearer ***"


def test_a_config_dump_keeps_the_username_key_after_a_basic_auth_type() -> None:
    """The effective-config dump once read ``type: basic ***: matrixcore``: only secret values go."""
    redactor = Redactor([Secret("app-password-123", "env:TOPDESK_APP_PASSWORD")])
    dump = "auth:\n  type: basic\n  username: matrixcore\n  password: app-password-123\n"
    assert redactor.redact(dump) == "auth:\n  type: basic\n  username: matrixcore\n  password: ***\n"
    assert (
        redactor.redact("auth: {type: bearer, token_env: HD_TOKEN}")
        == "auth: {type: bearer, token_env: HD_TOKEN}"
    )
    assert redactor.redact("header Basic dXNlcjpwYXNzd29yZA== sent") == "header Basic *** sent"


def test_credential_query_parameters_are_masked_in_free_text() -> None:
    line = 'GET /a?api_key=K1&page=2&access_token=T2&sig=S3 HTTP/1.1" 200'
    assert Redactor().redact(line) == 'GET /a?api_key=***&page=2&access_token=***&sig=*** HTTP/1.1" 200'


def test_empty_secrets_are_ignored_and_longest_values_win() -> None:
    redactor = Redactor([Secret(""), "abcdefgh", "abcdefghij"])
    assert redactor.redact("x abcdefghij y abcdefgh") == "x *** y ***"
    assert "abcdefgh" in redactor
    assert "" not in redactor


def test_short_secrets_are_masked_only_as_words() -> None:
    redactor = Redactor(["s", "pw12"])
    assert redactor.redact("password: pw12, scripted s") == "password: ***, scripted ***"


def test_safe_url_drops_userinfo_and_masks_credential_parameters() -> None:
    url = "https://user:pw@itsm.example.com/api?client_secret=s&sysparm_limit=10&password=p#frag"
    assert (
        safe_url(url, Redactor())
        == "https://itsm.example.com/api?client_secret=***&sysparm_limit=10&password=***"
    )


def test_the_filter_masks_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    redactor = Redactor(["s3cr3t-value"])
    logger = logging.getLogger("test.redact.filter")
    logger.addFilter(RedactingFilter(redactor))
    caplog.set_level(logging.INFO, logger="test.redact.filter")
    logger.info("logging in with %s", "s3cr3t-value")
    try:
        raise RuntimeError("server said s3cr3t-value is wrong")
    except RuntimeError:
        logger.exception("failed")
    assert "s3cr3t-value" not in caplog.text
    assert "logging in with ***" in caplog.text
    assert "server said *** is wrong" in caplog.text


def test_install_redaction_covers_every_record_through_a_handler() -> None:
    redactor = Redactor(["tok-abcdef"])
    logger = logging.getLogger("test.redact.install")
    logger.propagate = False
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    logger.addHandler(handler)
    install_redaction(logger, redactor)
    install_redaction(logger, redactor)  # idempotent
    logging.getLogger("test.redact.install.child").warning("token tok-abcdef")
    assert records == ["token ***"]
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1


def test_truncate_says_how_much_was_cut() -> None:
    assert truncate("a  b\n c") == "a b c"
    assert truncate("x" * 30, 10) == "xxxxxxxxxx… (20 more characters)"


def test_an_isolated_scope_forgets_what_it_learnt_and_keeps_what_came_before() -> None:
    redactor = Redactor(["kept-secret"])
    with redactor.isolated():
        redactor.add("x")
        assert redactor.redact("q=x kept-secret") == "q=*** ***"
    assert redactor.redact("q=x kept-secret") == "q=x ***"


def test_one_tests_short_password_never_masks_the_next_tests_text(pytester: pytest.Pytester) -> None:
    """The test kit's plugin isolates the process-wide redactor around every test."""
    pytester.makeconftest('pytest_plugins = ["matrixcore.testing.plugin"]')
    pytester.makepyfile(
        """
        from matrixcore._redact import default_redactor

        def test_registers():
            default_redactor.add("x")
            assert default_redactor.redact("q=x") == "q=***"

        def test_later():
            assert default_redactor.redact("q=x") == "q=x"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
