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
