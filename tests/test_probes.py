"""What a call probe reports for each kind of return: only plain data crosses."""

import numpy as np
import pytest

from poolside.grading.sandboxed import probes


@pytest.mark.parametrize("value,expected", [
    (3, 3), (2.5, 2.5), (True, True), ("median", "median"),
    (np.int64(7), 7), (np.float64(1.5), 1.5),
])
def test_a_plain_value_crosses_as_itself(value, expected):
    report = probes.probe({"id": "v", "probe": "call", "function": "f", "args": [],
                           "returns": "value"}, {"f": lambda: value}, {})
    assert report["value"] == {"type_ok": True, "value": expected}
    assert type(report["value"]["value"]) is type(expected)


class _Liar(float):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [_Liar(1.0), [1, 2], np.array([1.0, 2.0]), None.__class__])
def test_anything_else_crosses_as_its_type_name_only(value):
    report = probes.probe({"id": "v", "probe": "call", "function": "f", "args": [],
                           "returns": "value"}, {"f": lambda: value}, {})
    assert report["value"]["type_ok"] is False and "value" not in report["value"]


def test_an_error_in_a_students_function_is_placed_at_its_line():
    import linecache

    from autograder.reading import report_of
    from poolside.grading.checks import GradingError

    # as IPython compiles a cell: a name of its own, its lines in linecache
    name, source = "<ipython-input-4-0a1b2c3d>", "def f():\n    y = {}\n    return y['x']\n"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    env = {}
    exec(compile(source, name, "exec"), env)
    report = probes.probe({"id": "v", "probe": "call", "function": "f", "args": [],
                           "returns": "value"}, env, {})
    assert report["where"] == {"function": "f", "line": 3, "text": "return y['x']"}
    with pytest.raises(GradingError) as said:
        report_of({"v": report}, "v", "f")
    assert str(said.value) == "`f` raised KeyError: 'x' (in `f`, line 3 of its cell: `return y['x']`)"
    # the call's plain arguments, to rerun it with
    name, source = "<ipython-input-5-0a1b2c3d>", "def g(idata, artists, seed=0):\n    return {}[artists[0]]\n"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    exec(compile(source, name, "exec"), env)
    report = probes.probe({"id": "v", "probe": "call", "function": "g", "args": [
        {"a table": 1}, ["Mia X", "Beyoncé"]], "kwargs": {"seed": 3}, "returns": "value"},
        env, {})
    with pytest.raises(GradingError) as said:
        report_of({"v": report}, "v", "g")
    assert str(said.value).endswith("; called with artists=['Mia X', 'Beyoncé'], seed=3)")
    # code that is not the notebook's (a library, the grader) is not named
    report = probes.probe({"id": "v", "probe": "call", "function": "f", "args": [],
                           "returns": "value"}, {"f": lambda: {}["x"]}, {})
    assert report["where"] is None
