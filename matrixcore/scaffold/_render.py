"""Write a new adapter package from the template that ships in the wheel.

The template is ``examples/adapter-template`` of the repository (a complete adapter for a small JSON
REST helpdesk: adapter, plugin hook, emulator, contract suite, tests, README), packaged as
``matrixcore/scaffold/adapter-template``. Every name it carries (the distribution, the package, the
adapter, the emulator's class, environment variables, the test files) becomes the new tool's, so
nothing of "helpdesk" is left behind; ``check_no_leftovers`` proves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

__all__ = ["AdapterNames", "ScaffoldError", "leftovers", "template_root", "write_adapter"]

_NAME: Final = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
#: Python names and words a new package must not be called (they would shadow real modules).
_TAKEN: Final = frozenset({"matrixcore", "test", "tests", "testing", "plugin", "adapter", "helpdesk", "file"})
_SKIP: Final = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
_PROJECT_URL: Final = "https://github.com/matrixcore/matrixcore"


class ScaffoldError(ValueError):
    """A name that cannot become a package, or a target that already exists."""


@dataclass(frozen=True, slots=True)
class AdapterNames:
    """The names a tool called ``acme-desk`` gets: ``acme_desk``, ``AcmeDesk``, ``ACME_DESK``, ..."""

    raw: str

    @property
    def snake(self) -> str:
        return self.raw.replace("-", "_")

    @property
    def dashed(self) -> str:
        return self.raw.replace("_", "-")

    @property
    def camel(self) -> str:
        return "".join(part.capitalize() for part in self.snake.split("_"))

    @property
    def upper(self) -> str:
        return self.snake.upper()

    @property
    def package(self) -> str:
        return f"matrixcore_{self.snake}"

    @property
    def distribution(self) -> str:
        return f"matrixcore-{self.dashed}"

    @classmethod
    def parse(cls, name: str) -> AdapterNames:
        if not _NAME.match(name):
            raise ScaffoldError(
                f"{name!r} cannot name an adapter: use lower-case letters and digits, words joined by "
                "'-' or '_', starting with a letter (acme, acme-desk)"
            )
        if name.replace("-", "_") in _TAKEN:
            raise ScaffoldError(f"{name!r} is taken (by matrixcore or the template itself): choose another")
        return cls(name)

    def apply(self, text: str) -> str:
        """The template's text with every name of the example tool replaced by this one's."""
        text = text.replace("[matrixcore](../../README.md)", f"[matrixcore]({_PROJECT_URL})")
        text = text.replace("](../../", f"]({_PROJECT_URL}/blob/main/")  # links into the checkout
        text = text.replace("Copy this folder to start your own adapter: it has", "It has")
        text = text.replace(
            "matrixcore adapter for a small generic JSON REST helpdesk: the template for your own.",
            f"matrixcore adapter for {self.dashed}.",
        )
        text = text.replace(
            "A small generic JSON REST helpdesk (the matrixcore example adapter)",
            f"{self.camel} (from the matrixcore adapter template)",
        )
        text = text.replace("matrixcore-helpdesk-example", self.distribution)
        text = text.replace("matrixcore_helpdesk", self.package)
        text = text.replace("HELPDESK", self.upper)
        text = text.replace("Helpdesk", self.camel)
        text = re.sub(r"helpdesk(?=\.example)", self.dashed, text)  # host names: acme-desk.example.com
        return text.replace("helpdesk", self.snake)


def template_root() -> Path:
    """The template: in the wheel, or the repository's example in a checkout (an editable install)."""
    packaged = resources.files("matrixcore").joinpath("scaffold", "adapter-template")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "examples" / "adapter-template"


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not (_SKIP & set(p.relative_to(root).parts))
        and not any(part.endswith(".egg-info") for part in p.relative_to(root).parts)
        and p.suffix != ".pyc"
    )


def write_adapter(name: str, target: Path) -> list[Path]:
    """Write the package for tool ``name`` into ``target`` (which must not exist); the files written."""
    names = AdapterNames.parse(name)
    if target.exists():
        raise ScaffoldError(f"{target} already exists: give a new folder (--dir)")
    root = template_root()
    written = []
    for source in _files(root):
        relative = Path(*(names.apply(part) for part in source.relative_to(root).parts))
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        try:
            destination.write_text(names.apply(data.decode("utf-8")), encoding="utf-8")
        except UnicodeDecodeError:
            destination.write_bytes(data)
        written.append(destination)
    return written


def leftovers(target: Path) -> list[str]:
    """``file:line`` of every "helpdesk" left in a written package (none, or the template changed)."""
    found = []
    for path in _files(target):
        if "helpdesk" in str(path.relative_to(target)).lower():
            found.append(str(path.relative_to(target)))
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if "helpdesk" in line.lower():
                found.append(f"{path.relative_to(target)}:{number}")
    return found
