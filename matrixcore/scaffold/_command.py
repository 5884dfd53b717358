"""``matrixcore new-adapter NAME``: a complete, passing adapter package to start from."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

import click

from ._render import AdapterNames, ScaffoldError, write_adapter

__all__ = ["new_adapter_command"]

# As matrixcore._cli has them; not imported from there, which imports this module to register it.
_CONTEXT: Final[dict[str, Any]] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command("new-adapter", context_settings=_CONTEXT)
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Where to write the package (default: ./matrixcore-NAME).",
)
def new_adapter_command(name: str, directory: str | None) -> None:
    """Write a new adapter package for the ITSM tool NAME, ready to test and install.

    The package is the complete example adapter that ships with matrixcore, renamed for NAME: the
    adapter (on matrixcore.HttpAdapter), its plugin hook and entry point, an emulator of the tool's
    API on a local HTTP server, the adapter contract suite pointed at it, tests of what is particular
    to the tool, and a README. Its tests pass as written; then change the mapping, the emulator and
    the tests to your tool's API (docs/writing-adapters.md walks through it).

    \b
    Examples:
      matrixcore new-adapter acme
      cd matrixcore-acme && pip install -e ".[test]" && python -m pytest
    \b
    Exit codes: 0 written; 2 a NAME that cannot be a package, or the folder exists.
    """
    try:
        names = AdapterNames.parse(name)
        target = Path(directory) if directory else Path(names.distribution)
        written = write_adapter(name, target)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"wrote {len(written)} files to {target}/ (distribution {names.distribution}, ")
    click.echo(f"package {names.package}, adapter '{names.snake}'):")
    for path in written:
        click.echo(f"  {path.relative_to(target)}")
    click.echo(f"\nnext:\n  cd {target}")
    click.echo('  pip install -e ".[test]"')
    click.echo("  python -m pytest          # the contract suite and the tool's own tests pass as written")
    click.echo(f"  matrixcore plugins        # lists the '{names.snake}' adapter")
