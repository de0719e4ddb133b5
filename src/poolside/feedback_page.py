"""One student's feedback: a self-contained HTML page to hand back.

Each autograded question's score and what each of its checks found, the cells that raised
(with the cell they came from), what the grader noticed about the run, and the written answers
listed for hand grading. Everything shown is escaped: the student wrote the notebook, and the
messages quote it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import jinja2
import nbformat

__all__ = ["write_feedback", "written_answers", "PAGE"]

PAGE = "feedback.html"
#: How Otter tags the cells that hold an answer (in a solution notebook, the solution's).
ANSWER_TAGS = {"otter_answer_cell", "otter_assign_solution_cell"}
#: What Otter puts where a written answer goes, before the student replaces it.
PLACEHOLDER = "_Type your answer here, replacing this text._"

_TEMPLATE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }}: feedback</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.total { font-size: 1.2rem; } .muted { color: #666; }
table { border-collapse: collapse; width: 100%; } td, th { padding: .35rem .5rem;
  border-bottom: 1px solid #ddd; vertical-align: top; text-align: left; }
.full { color: #17663a; } .part { color: #8a5a00; } .none { color: #a1251b; }
.check { margin: .15rem 0; } .msg { margin: .1rem 0 .4rem 1.4rem; color: #444; }
pre { background: #f6f6f6; padding: .6rem; white-space: pre-wrap; overflow-wrap: anywhere; }
</style></head><body>
<h1>{{ title }}</h1>
<p class="muted">{{ who }}{{ file }}</p>
{% if graded %}
<p class="total">Autograded: <b>{{ "%g"|format(total) }}</b> of {{ "%g"|format(possible) }} points
{% if written %}(written answers, {{ "%g"|format(written_points) }} points, are graded by hand){% endif %}</p>
{% else %}
<p class="total none">Not graded: {{ reason }}</p>
{% endif %}
{% if notes %}
<h2>About your notebook's run</h2>
<ul>{% for note in notes %}<li>{{ note }}</li>{% endfor %}</ul>
{% endif %}
{% if cells %}
<h2>Cells that raised an error</h2>
<p class="muted">Cells are counted from the top of the notebook, text cells included.</p>
<ul>{% for cell in cells %}<li>Cell {{ cell.index + 1 }} (<code>{{ cell.line }}</code>) {{ cell.problem }}</li>{% endfor %}</ul>
{% endif %}
{% if questions %}
<h2>Autograded questions</h2>
<table><tr><th>question</th><th>score</th><th>checks</th></tr>
{% for q in questions %}
<tr><td>{{ q.name }}</td>
<td class="{{ q.mark }}">{{ "%g"|format(q.score) }} / {{ "%g"|format(q.possible) }}</td><td>
{% for c in q.checks %}
<div class="check">{{ "✓" if c.passed else "✗" }} {{ c.name }} ({{ "%g"|format(c.points) }} pt){% if c.unanswered %} <span class="muted">not answered yet</span>{% endif %}</div>
{% if not c.passed and c.message %}<div class="msg">{{ c.message }}</div>{% endif %}
{% endfor %}
</td></tr>
{% endfor %}
</table>
{% endif %}
{% if written %}
<h2>Written answers (graded by hand)</h2>
{% for w in written %}
<h3>{{ w.question }} ({{ "%g"|format(w.points) }} pt)</h3>
{% if w.answer %}<pre>{{ w.answer }}</pre>{% else %}<p class="muted">No answer found.</p>{% endif %}
{% endfor %}
{% endif %}
</body></html>
""")


def written_answers(notebook: Path, questions: list[str]) -> dict[str, str | None]:
    """The student's answer to each written question, in notebook order.

    Otter marks each written question's cells with ``<!-- BEGIN QUESTION -->`` and
    ``<!-- END QUESTION -->`` (only written questions get them) and tags answer cells
    ``otter_answer_cell`` (:data:`ANSWER_TAGS`); the n-th marked question is the n-th written
    one. An answer still
    holding Otter's placeholder, or one that cannot be found, is None.
    """
    try:
        with warnings.catch_warnings():  # an old notebook's missing cell ids: not news here
            warnings.simplefilter("ignore")
            nb = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - a notebook that cannot be read has no answers to show
        return dict.fromkeys(questions)
    blocks: list[list[str]] = []
    inside = False
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "markdown" and "<!-- END QUESTION -->" in source:
            inside = False
        if cell.get("cell_type") == "markdown" and "<!-- BEGIN QUESTION -->" in source:
            blocks.append([])
            inside = True
            continue
        tags = (cell.get("metadata") or {}).get("tags") or []
        if inside and ANSWER_TAGS & set(tags):
            blocks[-1].append(source.strip())
    found = {}
    for question, block in zip(questions, blocks + [[]] * len(questions)):
        text = "\n\n".join(part for part in block if part and part != PLACEHOLDER)
        found[question] = text or None
    return found


def _mark(score: float, possible: float) -> str:
    return "full" if score >= possible else "part" if score > 0 else "none"


def write_feedback(record: dict, folder: Path, points: dict[str, float],
                   written: dict[str, float], title: str) -> Path:
    """Write ``folder/feedback.html`` for one submission's record; return its path."""
    checks = record.get("checks") or []
    scores = record.get("scores") or {}
    questions = [{"name": q, "possible": p, "score": min(float(scores.get(q, 0.0)), p),
                  "mark": _mark(float(scores.get(q, 0.0)), p),
                  "checks": [c for c in checks if c.get("question") == q]}
                 for q, p in points.items()] if scores else []
    executed = Path(folder) / "executed.ipynb"
    answers = written_answers(executed, list(written)) if executed.is_file() else {}
    people = record.get("people") or []
    who = ", ".join(p.get("name") or p.get("sid") or p.get("email") for p in people
                    if p.get("name") or p.get("sid") or p.get("email"))
    page = _TEMPLATE.render(
        title=title, who=f"{who} · " if who else "", file=Path(str(record.get("file", ""))).name,
        graded=bool(scores), reason=record.get("reason", ""),
        total=sum(q["score"] for q in questions), possible=sum(points.values()),
        written_points=sum(written.values()), notes=record.get("about_run") or [],
        cells=record.get("cells") or [], questions=questions,
        written=[{"question": q, "points": p, "answer": answers.get(q)}
                 for q, p in written.items()] if scores else [])
    path = Path(folder) / PAGE
    path.write_text(page, encoding="utf-8")
    return path

