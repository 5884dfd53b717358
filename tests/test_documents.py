"""Loading YAML, JSON and TOML with positions, and YAML 1.2 scalars."""

import pytest

from matrixcore import RulesetError
from matrixcore._documents import load_document, parse_document


def test_yaml_values_keep_their_positions():
    doc = parse_document("a:\n  b: [1, 2]\n  c:\n    - x: 1\n", "f.yaml")
    assert doc.data == {"a": {"b": [1, 2], "c": [{"x": 1}]}}
    assert doc.locate(("a", "b")) == (2, 3)
    assert doc.locate(("a", "c", 0, "x")) == (4, 7)
    # An unknown child is located at its nearest parent.
    assert doc.locate(("a", "c", 0, "nope")) == (4, 7)


def test_yaml_1_1_surprises_do_not_happen():
    # Norway, "on", clock times and dates stay strings, as a rules author means them.
    doc = parse_document(
        "country: NO\nevent: on\nopen: 08:30\nday: 2026-12-24\nyes: y\nflag: true\n", "f.yaml"
    )
    assert doc.data == {
        "country": "NO",
        "event": "on",
        "open": "08:30",
        "day": "2026-12-24",
        "yes": "y",
        "flag": True,
    }


def test_duplicate_keys_are_errors_with_their_line():
    with pytest.raises(RulesetError) as info:
        parse_document("rules: []\nmatrix: {}\nrules: [1]\n", "dup.yaml")
    (problem,) = info.value.problems
    assert problem.line == 3
    assert "duplicate key 'rules'" in problem.message


def test_yaml_syntax_error_has_a_line_and_no_traceback():
    with pytest.raises(RulesetError) as info:
        parse_document("a: [1, 2\nb: 3\n", "bad.yaml")
    problem = info.value.problems[0]
    assert problem.file == "bad.yaml"
    assert problem.line is not None
    assert "not valid YAML" in problem.message


def test_json_positions_and_errors():
    doc = parse_document('{\n  "a": {\n    "b": 1\n  }\n}\n', "f.json")
    assert doc.data == {"a": {"b": 1}}
    assert doc.locate(("a", "b")) == (3, 5)
    with pytest.raises(RulesetError) as info:
        parse_document('{"a": 1,}', "f.json")
    assert info.value.problems[0].line == 1
    assert "not valid JSON" in info.value.problems[0].message


def test_toml_positions_best_effort_and_errors():
    doc = parse_document('[matrix]\nimpact = ["a"]\n\n[[rules]]\nname = "x"\n', "f.toml")
    assert doc.data == {"matrix": {"impact": ["a"]}, "rules": [{"name": "x"}]}
    assert doc.locate(("matrix", "impact"))[0] == 2
    assert doc.locate(("rules", 0, "name"))[0] == 5
    with pytest.raises(RulesetError) as info:
        parse_document("a = \n", "f.toml")
    assert info.value.problems[0].line == 1


def test_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(RulesetError, match="cannot read file"):
        load_document(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(RulesetError, match="not UTF-8"):
        load_document(binary)
