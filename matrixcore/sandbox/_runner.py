"""Run a sandbox: seed it, write the config a daemon needs, then file tickets and act as agents.

Kept apart from the command so a test drives the same steps (``SandboxRun.tick``) on its own clock
between a daemon's cycles.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from matrixcore._plugins import PluginError, Plugins

from ._scenario import ARRIVALS, SEED
from ._spec import Sandbox, SandboxSpec, connection_document

__all__ = ["SandboxRun", "quickstart_rules", "sandboxes"]


def sandboxes(plugins: Plugins) -> dict[str, tuple[SandboxSpec, str]]:
    """Every sandbox the loaded plugins offer, by name, with the label of the plugin offering it."""
    found: dict[str, tuple[SandboxSpec, str]] = {}
    for label, records in plugins.collect("matrixcore_sandboxes"):
        for spec in records:
            if not isinstance(spec, SandboxSpec):
                raise PluginError(
                    f"{label}: matrixcore_sandboxes returned {spec!r}, which is not a SandboxSpec"
                )
            if spec.name in found:
                raise PluginError(
                    f"sandbox {spec.name!r} is offered by {found[spec.name][1]} and by {label}; "
                    "disable one with --disable-plugin"
                )
            found[spec.name] = (spec, label)
    return found


def quickstart_rules() -> Path:
    """The quick-start rules: shipped in the wheel, or beside the package in a checkout."""
    packaged = resources.files("matrixcore").joinpath("sandbox", "quickstart-rules.yaml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "examples" / "quickstart" / "rules.yaml"


@dataclass
class SandboxRun:
    """One sandbox at work: what it filed, what comes next, and the files it wrote."""

    name: str
    sandbox: Sandbox
    directory: Path
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    arrivals: Iterator[int] = field(default_factory=lambda: iter(range(10**9)))

    @property
    def config_path(self) -> Path:
        return self.directory / "matrixcore.yaml"

    @property
    def connection_name(self) -> str:
        return f"{self.name}-sandbox"

    def seed(self) -> list[str]:
        """File the quick-start queue; the lines to print."""
        return [self.sandbox.file(ticket) for ticket in SEED]

    def write_config(self, rules: Path, extra: Mapping[str, Any]) -> str:
        """Write the config (and the connection's secret, 0600) into the directory; return the config."""
        self.directory.mkdir(parents=True, exist_ok=True)
        secret = self.directory / "sandbox-secret"
        secret.touch(mode=0o600)
        os.chmod(secret, 0o600)
        secret.write_text(self.sandbox.secret() + "\n", encoding="utf-8")
        document = connection_document(
            self.connection_name, self.sandbox, secret.name, str(rules.resolve()), extra
        )
        text = (
            f"# matrixcore sandbox {self.name}: an emulated {self.name} on {self.sandbox.url}\n"
            + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
        )
        self.config_path.write_text(text, encoding="utf-8")
        return text

    def arrive(self) -> str:
        """A new ticket arrives (the next of the round)."""
        return self.sandbox.file(ARRIVALS[next(self.arrivals) % len(ARRIVALS)])

    def act(self) -> str | None:
        """An agent does one thing (``None``: nothing to do)."""
        return self.sandbox.agent_step(self.rng)
