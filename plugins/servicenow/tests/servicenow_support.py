"""Helpers of the ServiceNow plugin's tests: the shared research data (tests that need it skip,
with the reason, where it is absent) and credentials."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]


def research_dir() -> Path:
    env = os.environ.get("MATRIXCORE_RESEARCH_DATA")
    return (Path(env) if env else REPO.parent / "shared" / "research-data") / "servicenow"


def research_file(name: str) -> Path:
    """A file of the ServiceNow research data, or a skip saying it is not there."""
    path = research_dir() / name
    if not path.is_file():
        pytest.skip(f"research data not available: {path} (set MATRIXCORE_RESEARCH_DATA)")
    return path


def research_json(name: str) -> Any:
    return json.loads(research_file(name).read_text(encoding="utf-8"))


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
