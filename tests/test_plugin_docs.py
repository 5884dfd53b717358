"""Every hook is documented and tested: a new hook without both fails here (as datasette does)."""

import ast
import inspect
import re
from pathlib import Path

import pytest

from matrixcore import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "plugin-hooks.md"
HOOKS = sorted(
    name
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(function, f"{hookspecs.PROJECT}_spec")
)


def doc_sections() -> dict[str, str]:
    """``## `name` `` headings of the hooks page and the text under each."""
    parts = re.split(r"^## `(\w+)`\s*$", DOC.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_hookspec_module_exports_exactly_its_hooks():
    assert [name for name in hookspecs.__all__ if name.startswith("matrixcore_")] == HOOKS
    assert len(HOOKS) == 11


def test_no_hook_is_documented_that_does_not_exist():
    assert sorted(doc_sections()) == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature_when_it_is_called_and_an_example(hook):
    section = doc_sections().get(hook)
    assert section is not None, f"docs/plugin-hooks.md has no '## `{hook}`' section"
    signature = re.search(rf"def {hook}\((.*?)\) -> ", section, flags=re.S)
    assert signature, f"{hook}: the section shows no signature"
    parsed = ast.parse(f"def {hook}({signature.group(1)}): pass").body[0]
    assert isinstance(parsed, ast.FunctionDef)
    documented = [arg.arg for arg in parsed.args.args]
    assert documented == list(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert "**When:**" in section
    assert "**Returns:**" in section
    assert "@hookimpl" in section, f"{hook}: the section has no example implementation"
    firstresult = getattr(hookspecs, hook).matrixcore_spec["firstresult"]
    assert ("firstresult=True" in section) == firstresult


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test_that_implements_it(hook):
    implemented_in = [
        path.name
        for path in (ROOT / "tests").glob("test_*.py")
        if path.name != Path(__file__).name and re.search(rf"def {hook}\(", path.read_text(encoding="utf-8"))
    ]
    assert implemented_in, f"no test implements {hook}"
