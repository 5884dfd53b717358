"""The daemon's logs: ids on every line, text for people, JSON for machines, never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from matrixcore._logging import bound, configure_logging
from matrixcore._redact import RedactingFilter, Redactor, default_redactor


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    root = logging.getLogger()
    level = root.level
    yield out
    for handler in [h for h in root.handlers if getattr(h, "_matrixcore", False)]:
        root.removeHandler(handler)
    for holder in [root, *root.handlers]:  # configure_logging filters every root handler, pytest's too
        for found in [f for f in holder.filters if isinstance(f, RedactingFilter)]:
            holder.removeFilter(found)
    root.setLevel(level)


def test_json_lines_carry_the_bound_ids(stream: io.StringIO) -> None:
    configure_logging("json", "info", stream)
    log = logging.getLogger("matrixcore.test")
    with bound(connection="topdesk-prod", cycle="c1"):
        log.info("cycle started")
        with bound(ticket="4711"):
            log.warning("retrying %s", "GET /incidents", extra={"attempt": 2})
    log.info("outside")
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["connection"], first["cycle"], "ticket" in first) == ("topdesk-prod", "c1", False)
    assert second["ticket"] == "4711"
    assert second["message"] == "retrying GET /incidents"
    assert (second["level"], second["logger"], second["attempt"]) == ("WARNING", "matrixcore.test", 2)
    assert second["time"].endswith("+00:00")
    assert "connection" not in third


def test_text_lines_put_the_ids_in_brackets(stream: io.StringIO) -> None:
    configure_logging("text", "debug", stream)
    with bound(connection="zd", cycle="c9", ticket="12"):
        logging.getLogger("matrixcore.test").debug("set priority P2")
    logging.getLogger("matrixcore.test").info("plain")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("DEBUG   [zd cycle=c9 ticket=12] set priority P2")
    assert second.endswith("INFO    plain")


def test_a_ticket_number_with_spaces_stays_one_field(stream: io.StringIO) -> None:
    configure_logging("text", "info", stream)
    with bound(connection="topdesk", cycle="c1", ticket="I 2311 042"):
        logging.getLogger("matrixcore.test").info("set priority P2")
    assert stream.getvalue().rstrip().endswith('[topdesk cycle=c1 ticket="I 2311 042"] set priority P2')


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_never_reach_the_log(stream: io.StringIO, fmt: str) -> None:
    default_redactor.add("s3cr3t-value-for-logs")
    configure_logging(fmt, "info", stream)
    try:
        raise RuntimeError("the server echoed Authorization: Bearer s3cr3t-value-for-logs")
    except RuntimeError:
        logging.getLogger("urllib3.test").exception("request failed with token=%s", "s3cr3t-value-for-logs")
    assert "s3cr3t-value-for-logs" not in stream.getvalue()
    assert "***" in stream.getvalue()


def test_reconfiguring_replaces_the_handler(stream: io.StringIO) -> None:
    configure_logging("text", "info", stream)
    configure_logging("json", "info", stream)
    logging.getLogger("matrixcore.test").info("once")
    assert len(stream.getvalue().splitlines()) == 1
    with pytest.raises(ValueError, match="unknown log format"):
        configure_logging("xml")


def test_a_second_redacting_filter_keeps_what_the_first_masked() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise RuntimeError("token tok-first-123456 refused")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter(Redactor(["tok-first-123456"])).filter(record)
    RedactingFilter(Redactor(["another-secret"])).filter(record)
    assert "tok-first-123456" not in (record.exc_text or "")
    assert "token *** refused" in (record.exc_text or "")
