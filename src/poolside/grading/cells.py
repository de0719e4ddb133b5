"""Where a notebook went wrong: which cell raised what, and which cell was to define a name.

A check that finds a function or a fit missing says so; this module finds the reason in the
executed notebook, so that feedback names the cell and its exception ("The cell
`no_pooled_fit = fit_no_pooled(spotify)` raised NameError: name 'PRIORS' is not defined")
rather than asking the student to run a cell they did run. The executed notebook is the
student's side's own record: it only ever adds words to that student's feedback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Cell", "read", "why_missing", "summary"]

#: How much of an exception's message, and of a cell's first line, is quoted.
MESSAGE_CHARS, LINE_CHARS = 200, 70
#: The frame of the cell itself in IPython's traceback: the outermost ``Cell In[7], line 3``.
_CELL_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")
#: A frame of a function the notebook defined, and the line it was at (IPython marks it).
_FUNCTION_FRAME = re.compile(r"Cell In\[\d+\], line (\d+), in (\w+)")
_ARROW = re.compile(r"^-+> *\d+ (.*)$", re.MULTILINE)
#: Where a SyntaxError's message says it was, in a name that means nothing to a student.
_SYNTAX_PLACE = re.compile(r"\s*\((<ipython-input-[^>]*>|\d+\.py), line \d+\)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: Outcomes of :mod:`.sandboxed.execute` for a cell that did not run to its end.
_NOT_RUN = {"timeout": "ran past its time limit and was stopped",
            "died": "stopped the kernel (os._exit, a crash or out of memory)",
            "deadline": "was stopped: the notebook had used up its time",
            "skipped": "was not run: the notebook had used up its time",
            "abandoned": "was not run: the cells before it had stopped the kernel too often"}


@dataclass(frozen=True)
class Cell:
    """A code cell that raised or did not finish."""

    index: int
    source: str
    problem: str

    @property
    def first_line(self) -> str:
        lines = [line.strip() for line in self.source.splitlines() if line.strip()
                 and not line.strip().startswith("#")]
        return _clip(lines[0] if lines else "(empty)", LINE_CHARS)

    def describe(self) -> str:
        return f"The cell `{self.first_line}` {self.problem}."


def _clip(text, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def read(nb, states: dict | None = None) -> list[Cell]:
    """The code cells of an executed notebook that raised, or that ``states`` (the executor's
    outcome per cell index) says did not finish, in notebook order."""
    states = states if isinstance(states, dict) else {}
    found = []
    for index, cell in enumerate(nb.get("cells", []) if isinstance(nb, dict) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(map(str, source)) if isinstance(source, list) else str(source)
        state = states.get(str(index))
        errors = [out for out in cell.get("outputs", []) or []
                  if isinstance(out, dict) and out.get("output_type") == "error"]
        if state in _NOT_RUN:  # stopped by the grader: its KeyboardInterrupt is the grader's
            found.append(Cell(index, source, _NOT_RUN[state]))
        elif errors:
            found.append(Cell(index, source, _raised(errors[0], source)))
    return found


def _raised(error: dict, source: str) -> str:
    """"raised NameError: name 'x' is not defined (line 3: `y = f(x)`; in `f`, line 2 of its
    cell: `return x + z`)": the exception, the line of the cell it came from and the last line
    of the notebook's own functions it passed through, when the traceback says (a cell's first
    line alone does not show which of twenty lines failed, nor which function)."""
    ename, evalue = _clip(error.get("ename"), 80), str(error.get("evalue") or "")
    traceback = error.get("traceback")
    frames = [_ANSI.sub("", str(f)[:20_000]) for f in traceback[:400]] \
        if isinstance(traceback, list) else []
    lines = source.splitlines()
    where = []
    own = next((f for f in (_CELL_FRAME.search(f) for f in frames) if f), None)
    if own and 1 <= int(own.group(1)) <= len(lines):
        number = int(own.group(1))
        if ename == "SyntaxError":
            evalue = _SYNTAX_PLACE.sub("", evalue)
        text = _clip(lines[number - 1], LINE_CHARS)
        shown = text and text != Cell(0, source, "").first_line  # the cell is named by it
        where.append(f"line {number}: `{text}`" if shown else f"line {number}")
    inner = [(m, f) for m, f in ((_FUNCTION_FRAME.search(f), f) for f in frames) if m]
    if inner:
        match, frame = inner[-1]
        code = _ARROW.search(frame)
        where.append(f"in `{match.group(2)}`, line {match.group(1)} of its cell"
                     + (f": `{_clip(code.group(1), LINE_CHARS)}`" if code else ""))
    message = f": {_clip(evalue, MESSAGE_CHARS)}" if evalue.strip() else ""
    return f"raised {ename}{message}" + (f" ({'; '.join(where)})" if where else "")


def _defines(source: str, name: str) -> bool:
    """Whether a cell's top level defines ``name`` (a def, or an assignment to it), read as
    text: a cell with a syntax error cannot be parsed, and it is the one most worth naming."""
    name = re.escape(name)
    return re.search(rf"^(def\s+{name}\s*\(|{name}\s*(:[^=\n]*)?=(?!=))", source[:100_000],
                     re.MULTILINE) is not None


def why_missing(name: str, cells: list[Cell], depth: int = 2) -> str | None:
    """Why ``name`` is not defined, if a cell that defines it raised or did not finish; and
    when that cell raised a NameError, why that name was not defined in turn (a fit cell that
    failed because the function's own cell had a syntax error names both)."""
    for cell in cells:
        if _defines(cell.source, name):
            why = cell.describe()
            upstream = re.match(r"raised NameError: name '(\w+)' is not defined", cell.problem)
            if upstream and depth > 1 and upstream.group(1) != name:
                before = why_missing(upstream.group(1), cells, depth - 1)
                why = f"{why} {before}" if before else why
            return why
    return None


def summary(cells: list[Cell], limit: int = 3) -> str | None:
    """One line for the instructor's notes: the first cells that raised (cells that did not
    finish have notes of their own)."""
    raised = [c for c in cells if c.problem.startswith("raised")]
    if not raised:
        return None
    shown = "; ".join(f"`{c.first_line}` {c.problem}" for c in raised[:limit])
    more = f" (and {len(raised) - limit} more)" if len(raised) > limit else ""
    return f"{len(raised)} cell(s) raised an error: {shown}{more}"
