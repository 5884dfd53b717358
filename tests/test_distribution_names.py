"""Every install instruction names a distribution this repository really builds.

The name ``matrixcore`` on the public package index is someone else's reservation: an instruction
that says ``pip install matrixcore`` would install a stranger's package. So every ``pip install`` in
the READMEs, the docs and the deploy examples must name a path in this checkout, a wheel built from it,
a Git URL of it, or a distribution whose name one of our ``pyproject.toml`` files declares.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECTS = {
    ".": ROOT / "pyproject.toml",
    "plugins/topdesk": ROOT / "plugins" / "topdesk" / "pyproject.toml",
    "plugins/servicenow": ROOT / "plugins" / "servicenow" / "pyproject.toml",
    "plugins/zendesk": ROOT / "plugins" / "zendesk" / "pyproject.toml",
    "examples/adapter-template": ROOT / "examples" / "adapter-template" / "pyproject.toml",
}
# Third-party distributions the docs name on purpose: a hypothetical plugin and benchmark contenders.
THIRD_PARTY = {"acme-matrixcore", "rule-engine", "panzi-json-logic"}
REPO_URL = "git+https://github.com/matrixcore/matrixcore"


def _project(path: Path) -> dict[str, object]:
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    assert isinstance(project, dict)
    return project


NAMES = {where: str(_project(path)["name"]) for where, path in PYPROJECTS.items()}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _documents() -> list[Path]:
    found = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found += sorted((ROOT / "plugins").glob("*/README.md"))
    found += [ROOT / "examples" / "adapter-template" / "README.md"]
    found += sorted(p for p in (ROOT / "examples" / "deploy").iterdir() if p.is_file())
    return found


def _pip_installs() -> list[tuple[str, str]]:
    """(document:line, the arguments after ``pip install``) for every install command, joined over ``\\``."""
    commands = []
    for doc in _documents():
        text = doc.read_text(encoding="utf-8").replace("\\\n", " ")
        for number, line in enumerate(text.splitlines(), 1):
            if re.search(r"pip install matrixcore['`]? (does not|would|is someone)", line):
                continue  # the warning that the reserved name is not ours
            for match in re.finditer(r"pip install (.*)", line):
                # up to the end of inline code, a shell comment or the next command
                arguments = re.split(r"`|\s#|&&|;|\)", match.group(1))[0]
                commands.append((f"{doc.relative_to(ROOT)}:{number}", arguments))
    return commands


def _requirements(arguments: str) -> list[str]:
    words = shlex.split(arguments.replace(" @ ", "@"), posix=True)
    return [w for w in words if not w.startswith("-")]


def test_the_distribution_names_are_ours_and_not_the_reserved_one():
    assert NAMES["."] == "matrixcore-itsm"
    assert {NAMES[f"plugins/{v}"] for v in ("topdesk", "servicenow", "zendesk")} == {
        "matrixcore-itsm-topdesk",
        "matrixcore-itsm-servicenow",
        "matrixcore-itsm-zendesk",
    }
    assert "matrixcore" not in {_normalise(n) for n in NAMES.values()}
    # The plugins (and the template) depend on the core by its real distribution name.
    for where, path in PYPROJECTS.items():
        if where != ".":
            deps = [str(d) for d in _project(path)["dependencies"]]  # type: ignore[attr-defined]
            assert any(d.startswith("matrixcore-itsm>=") for d in deps), (where, deps)
            assert not any(re.match(r"matrixcore\s*[<>=!~;\[]|matrixcore$", d) for d in deps), (where, deps)


def test_the_import_package_command_and_entry_point_group_keep_the_name_matrixcore():
    core = _project(PYPROJECTS["."])
    assert core["scripts"] == {"matrixcore": "matrixcore._cli:main"}
    for where in ("plugins/topdesk", "plugins/servicenow", "plugins/zendesk", "examples/adapter-template"):
        assert "matrixcore" in _project(PYPROJECTS[where])["entry-points"]  # type: ignore[operator]


def test_every_install_instruction_names_something_this_repository_builds():
    ours = {_normalise(n) for n in NAMES.values()}
    commands = _pip_installs()
    assert len(commands) >= 8  # the README, the docs, every plugin README, the deploy examples
    for where, arguments in commands:
        for requirement in _requirements(arguments):
            name, _, url = requirement.partition("@")
            if url:  # "name @ git+URL#subdirectory=..." must name the distribution at that path
                assert url.startswith(REPO_URL), (where, requirement)
                sub = re.search(r"subdirectory=([\w/.-]+)", url)
                assert NAMES[sub.group(1) if sub else "."] == name, (where, requirement)
                continue
            plain = re.sub(r"\[.*?\]", "", requirement).strip("\"'")
            if "/" in plain or plain in {".", ".."} or plain.endswith(".whl"):
                if plain.endswith(".whl"):  # dist/matrixcore_itsm-*.whl: a wheel of one of ours
                    stem = Path(plain).name.split("-")[0]
                    assert _normalise(stem) in ours, (where, requirement)
                continue  # a path in the checkout (or the deploy host's copy of it)
            assert _normalise(re.split(r"[<>=!~;]", plain)[0]) in ours | THIRD_PARTY, (where, requirement)


@pytest.mark.parametrize("vendor", ["topdesk", "servicenow", "zendesk"])
def test_each_plugin_readme_is_titled_with_its_distribution(vendor):
    readme = (ROOT / "plugins" / vendor / "README.md").read_text(encoding="utf-8")
    assert readme.splitlines()[0] == f"# {NAMES[f'plugins/{vendor}']}"


def test_operations_lists_every_distribution_with_its_folder():
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for where, name in NAMES.items():
        if where.startswith("examples"):
            continue
        assert re.search(rf"\| `{re.escape(name)}` \|[^\n]*\| `{re.escape(where)}` \|", text), name
    assert "`pip install matrixcore` does not install this project" in text


def test_a_checkout_path_in_the_docs_exists():
    for where, arguments in _pip_installs():
        for requirement in _requirements(arguments):
            plain = re.sub(r"\[.*?\]", "", requirement).strip("\"'")
            if plain.startswith(("plugins/", "examples/")):
                assert (ROOT / plain / "pyproject.toml").is_file(), (where, requirement)
            if plain.startswith("/opt/matrixcore-src"):
                rest = plain.removeprefix("/opt/matrixcore-src").strip("/") or "."
                assert rest in NAMES, (where, requirement)
