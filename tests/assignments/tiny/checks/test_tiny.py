"""Three checks: a table, a choice, a number."""

import numpy as np

from poolside.grading.checks import check
from poolside.grading.sandboxed import describe


def _call(function, g, returns):
    return [{"id": function, "probe": "call", "function": function, "args": [g.numbers()],
             "kwargs": {}, "returns": returns}]


@check("q1", points=2, probes=lambda g: _call("group_means", g, "frame"))
def test_group_means(grading, reports):
    """group_means gives each group's mean"""
    report = reports.get("group_means") or {}
    assert report.get("outcome") != "missing", "The notebook does not define `group_means`."
    assert report.get("outcome") == "returned", (
        f"`group_means` did not return normally ({report.get('outcome')}); run it on "
        "`numbers` and read the error.")
    value = report.get("value") or {}
    assert value.get("type_ok"), "`group_means` should return a pandas DataFrame."
    got = describe.to_frame(value)
    assert {"group", "value"} <= set(got.columns), "The table needs the columns `group` and `value`."
    got = got.sort_values("group").reset_index(drop=True)
    want = grading.made("numbers").groupby("group", as_index=False)["value"].mean()
    assert list(got["group"].astype(str)) == list(want["group"]) and np.allclose(
        got["value"].astype(float), want["value"]), (
        "Each row should hold one group and the mean `value` of its rows; look at what you "
        "group by and what you average.")


@check("q2", points=1, probes=lambda g: [{"id": "q2", "probe": "values", "names": ["q2"]}])
def test_q2_answer(grading, reports):
    """q2 is answered correctly"""
    value = ((reports.get("q2") or {}).get("values") or {}).get("q2")
    assert value == "median", "q2 is not right: which summary does one extreme value move least?"


@check("q3", points=1, probes=lambda g: _call("count_rows", g, "value"))
def test_count_rows(grading, reports):
    """count_rows counts the rows of any table"""
    report = reports.get("count_rows") or {}
    assert report.get("outcome") == "returned", (
        f"`count_rows` did not return normally ({report.get('outcome')}).")
    value = report.get("value") or {}
    assert value.get("type_ok") and not isinstance(value.get("value"), (bool, str)), (
        "`count_rows` should return a number.")
    assert value["value"] == len(grading.made("numbers")), (
        "That is not the number of rows of the table it was given.")
