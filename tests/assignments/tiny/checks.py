"""The tiny assignment's registry: two cases built only from the engine's public parts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from poolside.grading.context import Context
from poolside.grading.feedback import GradingError
from poolside.grading.registry import Case, Registry
from poolside.grading.sandboxed import describe

__all__ = ["REGISTRY"]


class Grading(Context):
    """A fresh table of numbers for every grading, so no answer can be stored ahead."""

    def numbers(self) -> dict:
        def make():
            rng = np.random.default_rng(self.seed_for("numbers"))
            n = int(rng.integers(30, 90))  # so no count can be known ahead
            return pd.DataFrame({"group": rng.choice(["a", "b", "c", "d"], n),
                                 "value": rng.normal(10.0, 3.0, n).round(3)})
        return self.table("numbers", make)


def _means_plan(g: Grading) -> list[dict]:
    return [{"id": "group_means", "probe": "call", "function": "group_means",
             "args": [g.numbers()], "kwargs": {}, "returns": "frame"}]


def _means(g: Grading, reports: dict) -> None:
    report = reports.get("group_means") or {}
    outcome = report.get("outcome")
    if outcome == "missing":
        raise GradingError("The notebook does not define `group_means`.")
    if outcome != "returned":
        raise GradingError(f"`group_means` did not return normally ({outcome}); run it on "
                           "`numbers` and read the error.")
    value = report.get("value") or {}
    if not value.get("type_ok"):
        raise GradingError("`group_means` should return a pandas DataFrame.")
    got = describe.to_frame(value)
    if not {"group", "value"} <= set(got.columns):
        raise GradingError("The table needs the columns `group` and `value`.")
    got = got.sort_values("group").reset_index(drop=True)
    want = g.made("numbers").groupby("group", as_index=False)["value"].mean()
    if list(got["group"].astype(str)) != list(want["group"]) \
            or not np.allclose(got["value"].astype(float), want["value"]):
        raise GradingError("Each row should hold one group and the mean `value` of its rows; "
                           "look at what you group by and what you average.")


def _count_plan(g: Grading) -> list[dict]:
    return [{"id": "count_rows", "probe": "call", "function": "count_rows",
             "args": [g.numbers()], "kwargs": {}, "returns": "value"}]


def _count(g: Grading, reports: dict) -> None:
    report = reports.get("count_rows") or {}
    if report.get("outcome") != "returned":
        raise GradingError(f"`count_rows` did not return normally ({report.get('outcome')}).")
    value = report.get("value") or {}
    if not value.get("type_ok") or isinstance(value.get("value"), (bool, str)):
        raise GradingError("`count_rows` should return a number.")
    if value["value"] != len(g.made("numbers")):
        raise GradingError("That is not the number of rows of the table it was given.")


def _choice(g: Grading, reports: dict) -> None:
    value = ((reports.get("q2") or {}).get("values") or {}).get("q2")
    if value != "median":
        raise GradingError("q2 is not right: which summary does one extreme value move least?")


CASES = (
    Case("q1", "group_means gives each group's mean", 2, _means_plan, _means),
    Case("q2", "q2 is answered correctly", 1,
         lambda g: [{"id": "q2", "probe": "values", "names": ["q2"]}], _choice),
    Case("q3", "count_rows counts the rows of any table", 1, _count_plan, _count),
)
QUESTIONS = {"q1": 2, "q2": 1, "q3": 1}
REGISTRY = Registry(CASES, QUESTIONS, Grading)
