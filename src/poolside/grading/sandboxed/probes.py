"""Probes: run inside the student's kernel, call what the grader asks for, report plain data.

A probe is one entry of the grader's plan (JSON): call a function on inputs the grader made
for this grading, describe a model or a fit, or read some variables. Its report records what
happened (returned, raised, ran too long) and a plain description of the value. Any exception
the student's code raises, ``SystemExit`` and ``KeyboardInterrupt`` included, is part of the
report: it costs the question that probed it, never the next probe.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from . import describe, wire

__all__ = ["run", "probe", "CALL_SECONDS", "PROBES", "RETURNS"]

#: The probes a plan entry may name, and what a ``call`` probe may say its function returns.
PROBES = ("call", "values", "model", "fit")
RETURNS = ("axes", "frame", "value")
#: The input holding the group labels a model probe orders per-group values by, by default.
LABELS = "artists"

#: Far above what any exercise's function needs (the slowest, a plot, takes about 1 s).
CALL_SECONDS = 20.0


class _Expired(BaseException):
    """Raised by the alarm: a BaseException so a student's ``except Exception`` can't eat it."""


@contextmanager
def _time_limit(seconds: float):
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise _Expired()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _message(err: BaseException) -> str:
    try:
        text = str(err)
    except BaseException:  # a __str__ that raises is the student's problem, not the probe's
        text = ""
    return text[:300]


def _where(err: BaseException) -> dict | None:
    """The innermost line of the notebook's own code that the exception passed through
    (IPython names a cell's code ``<ipython-input-N-...>``): where in the student's function
    to look, when the error came from deep inside a library."""
    try:
        import traceback

        frames = [f for f in traceback.extract_tb(err.__traceback__, limit=200)
                  if str(f.filename).startswith("<ipython-input-") and f.name != "<module>"]
        if frames:
            frame = frames[-1]
            return {"function": str(frame.name)[:80], "line": int(frame.lineno or 0),
                    "text": " ".join(str(frame.line or "").split())[:120]}
    except BaseException:  # noqa: BLE001 - the report goes on without it
        pass
    return None


def _called_with(fn, args: list, kwargs: dict) -> str | None:
    """The plain arguments of a call, by name ("artists=['Beyoncé', 'Mia X']"): what a student
    needs to rerun it; posteriors and tables are left out."""
    try:
        import inspect

        bound = inspect.signature(fn).bind_partial(*args, **kwargs).arguments
        shown = [f"{name}={list(value)!r}" if isinstance(value, (list, tuple))
                 else f"{name}={value!r}" for name, value in bound.items()
                 if (isinstance(value, (list, tuple)) and len(value) <= 6
                     and all(type(v) is str for v in value))
                 or type(value) in (int, float, str, bool)]
        return ", ".join(shown)[:300] or None
    except BaseException:  # noqa: BLE001 - a signature the student's object makes up
        return None


def posterior(spec: dict):
    """A posterior input (draws by name, artists, per-artist names) as ``pm.sample`` returns one."""
    import arviz as az

    return az.from_dict({"posterior": dict(spec["draws"])},
                        coords={"artist": [str(a) for a in spec["artists"]]},
                        dims={name: ["artist"] for name in spec["per_artist"]})


def _argument(spec, inputs: dict):
    if isinstance(spec, dict) and "input" in spec:
        value = inputs[spec["input"]]
        if value.get("kind") == "posterior":
            return posterior(value)
        if value.get("kind") == "frame":
            return describe.to_frame(value)
        raise ValueError(f"unknown input kind {value.get('kind')!r}")
    return spec


def _plain(value):
    """A number, bool or string as exactly that type (numpy scalars too), else None: only plain
    data crosses, never an object whose ``==`` or ``float`` the student wrote."""
    if type(value) in (bool, int, float, str):
        return value
    module = type(value).__module__
    if module == "numpy" and hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        item = value.item()
        return item if type(item) in (bool, int, float, str) else None
    return None


def describe_return(value, returns: str) -> dict:
    """What a called function returned, as plain data of the kind ``returns`` names."""
    if returns == "value":
        plain = _plain(value)
        if plain is None:
            return {"type_ok": False, "type": type(value).__name__[:80]}
        if isinstance(plain, str):
            plain = plain[:1000]
        return {"type_ok": True, "value": plain}
    if returns == "axes":
        from matplotlib.axes import Axes

        if not isinstance(value, Axes):
            return {"type_ok": False, "type": type(value).__name__[:80]}
        return {"type_ok": True, **describe.axes(value)}
    if returns == "frame":
        import pandas as pd

        if not isinstance(value, pd.DataFrame):
            return {"type_ok": False, "type": type(value).__name__[:80]}
        return {"type_ok": True, **describe.frame(value)}
    raise ValueError(f"unknown return kind {returns!r}")


def unwritten(fn) -> bool:
    """Whether ``fn`` is still the stub handed out: a body of only its docstring and ``...``
    (or ``pass``), which does nothing and returns None. Such a function is "not written yet",
    never judged on what it returns."""
    import dis

    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    ops = [(i.opname, i.argval) for i in dis.get_instructions(code)]
    return [op for op, _ in ops if op != "RESUME"] == ["RETURN_CONST"] and ops[-1][1] is None


def _call(entry: dict, env: dict, inputs: dict) -> dict:
    fn = env.get(entry["function"])
    if not callable(fn):
        return {"outcome": "missing"}
    if unwritten(fn):
        return {"outcome": "unwritten"}
    args = [_argument(a, inputs) for a in entry.get("args", [])]
    kwargs = {k: _argument(v, inputs) for k, v in entry.get("kwargs", {}).items()}
    started = time.perf_counter()
    try:
        with _time_limit(CALL_SECONDS):
            if entry.get("returns") == "axes":
                # A plotting function may draw on the current figure (pandas' .plot does):
                # start it on an empty one, whatever the notebook left open. Inside the limit
                # and the try: closing runs the student's close handlers.
                import matplotlib.pyplot as plt

                plt.close("all")
            value = fn(*args, **kwargs)
    except _Expired:
        return {"outcome": "timeout", "seconds": CALL_SECONDS}
    except BaseException as err:  # noqa: BLE001 - SystemExit and friends cost this probe only
        return {"outcome": "raised", "error": type(err).__name__[:80], "message": _message(err),
                "not_implemented": isinstance(err, NotImplementedError), "where": _where(err),
                "called_with": _called_with(fn, args, kwargs)}
    report = {"outcome": "returned", "seconds": time.perf_counter() - started,
              "is_none": value is None}
    if value is not None:
        report["value"] = describe_return(value, entry["returns"])
    return report


def _fitted(env: dict, variable: str):
    result = env.get(variable)
    if result is None:
        return None, {"outcome": "missing"}
    if not (type(result) is tuple and len(result) == 2):
        return None, {"outcome": "returned", "pair": False}
    return result, None


def probe(entry: dict, env: dict, inputs: dict) -> dict:
    """Run one plan entry against the notebook's globals ``env``; return its report."""
    kind = entry["probe"]
    if kind == "call":
        return _call(entry, env, inputs)
    if kind == "values":
        values = {}
        for name in entry["names"]:
            value = env.get(name)
            # Only a plain str crosses: a subclass could answer == with anything.
            values[name] = value if type(value) is str else {"type": type(value).__name__[:80]}
        return {"outcome": "returned", "values": values}
    if kind in ("model", "fit"):
        result, problem = _fitted(env, entry["variable"])
        if problem and unwritten(env.get(entry.get("function", ""))):
            return {"outcome": "unwritten"}
        if problem:
            return problem
        try:
            with _time_limit(entry.get("seconds", 120)):
                if kind == "model":
                    value = describe.model(result[0], inputs[entry["points"]]["values"],
                                           inputs[entry.get("labels", LABELS)])
                else:
                    value = describe.fit(result[1])
        except _Expired:
            return {"outcome": "timeout"}
        except BaseException as err:  # noqa: BLE001
            return {"outcome": "raised", "error": type(err).__name__[:80],
                    "message": _message(err)}
        return {"outcome": "returned", "pair": True, "value": value}
    raise ValueError(f"unknown probe {kind!r}")


def run(probe_id: str, folder: str | Path) -> None:
    """Run the plan's entry ``probe_id`` in this kernel and write its report to ``out/``."""
    import __main__

    folder = Path(folder)
    plan = wire.load(folder, "plan")
    entry = next(e for e in plan["probes"] if e["id"] == probe_id)
    # Fits and answers are read before the grader's inputs are on disk (execute.py).
    inputs = {} if entry["probe"] in ("fit", "values") else wire.load(folder, "inputs")
    report = probe(entry, vars(__main__), inputs)
    try:
        wire.dump(report, folder / "out", probe_id)
    except wire.WireError as err:
        wire.dump({"outcome": "unreadable", "message": str(err)[:200]}, folder / "out", probe_id)
    try:  # the grader's figures are its own: close any the probe made the student draw
        import matplotlib.pyplot as plt

        plt.close("all")
    except Exception:  # noqa: BLE001
        pass
