"""The class report: one self-contained HTML page on how a class did and why.

Figures (matplotlib, embedded as PNG): the distribution of totals, each question's share of
full, partial, wrong and untouched answers, and each check's failure rate split into
"attempted and wrong" and "not answered yet". Tables: each check's most frequent messages
with counts, and the files that could not be graded with the reason.
"""

from __future__ import annotations

import base64
import io
import statistics
import textwrap
from collections import Counter
from pathlib import Path

import jinja2

__all__ = ["write_report", "check_rates", "REPORT"]

REPORT = "report.html"
#: Messages shown per check: the most frequent first.
TOP_MESSAGES = 3

_TEMPLATE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}: class report</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.4; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
td, th { padding: .3rem .5rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; } img { max-width: 100%; } .muted { color: #666; }
</style></head><body>
<h1>{{ title }}: class report</h1>
<p>{{ counts }}. Autograded points possible: {{ "%g"|format(possible) }}{% if graded %};
median total {{ "%g"|format(median) }}, mean {{ "%.1f"|format(mean) }}{% endif %}.</p>
{% for figure in figures %}<p><img alt="{{ figure.alt }}" src="data:image/png;base64,{{ figure.data }}"></p>{% endfor %}
<h2>What the checks found</h2>
<p class="muted">Per check, over graded submissions: how many did not answer yet (the stub or
<code>...</code> left as handed out), how many answered and failed, and the most frequent
messages of those who answered.</p>
<table><tr><th>check</th><th>not answered</th><th>answered, failed</th><th>most frequent messages</th></tr>
{% for c in checks %}
<tr><td>{{ c.question }}: {{ c.name }}</td><td class="n">{{ c.unanswered }}</td><td class="n">{{ c.wrong }}</td>
<td>{% for message, n in c.messages %}<div>{{ n }} × {{ message }}</div>{% endfor %}</td></tr>
{% endfor %}
</table>
{% if ungraded %}
<h2>Not graded</h2>
<table><tr><th>student</th><th>file</th><th>status</th><th>reason</th></tr>
{% for r in ungraded %}<tr><td>{{ r.who }}</td><td>{{ r.file }}</td><td>{{ r.status }}</td><td>{{ r.reason }}</td></tr>{% endfor %}
</table>
{% endif %}
</body></html>
""")


def _message(text: str) -> str:
    # The cell a student's error came from is added after the verdict's own message; it is
    # theirs alone, so messages are counted without it.
    return str(text).split(" The cell `")[0].strip()


def check_rates(records: list[dict]) -> list[dict]:
    """Per check, over graded records: how many left it unanswered, how many answered and
    failed, and the answered failures' most frequent messages."""
    rows: dict[tuple[str, str], dict] = {}
    for record in records:
        for check in record.get("checks") or []:
            row = rows.setdefault((check["question"], check["name"]), {
                "question": check["question"], "name": check["name"], "total": 0,
                "unanswered": 0, "wrong": 0, "counter": Counter()})
            row["total"] += 1
            if check.get("passed"):
                continue
            if check.get("unanswered"):
                row["unanswered"] += 1
            else:
                row["wrong"] += 1
                row["counter"][_message(check.get("message", ""))] += 1
    for row in rows.values():
        row["messages"] = row.pop("counter").most_common(TOP_MESSAGES)
    return list(rows.values())


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _question_states(records: list[dict], points: dict[str, float]) -> dict[str, Counter]:
    states = {q: Counter() for q in points}
    for record in records:
        checks = record.get("checks") or []
        for question, possible in points.items():
            score = float(record["scores"].get(question, 0.0))
            mine = [c for c in checks if c["question"] == question]
            if score >= possible:
                states[question]["full marks"] += 1
            elif score > 0:
                states[question]["partly right"] += 1
            elif mine and all(c.get("unanswered") for c in mine):
                states[question]["not answered"] += 1
            else:
                states[question]["answered, wrong"] += 1
    return states


def _figures(graded: list[dict], points: dict[str, float], checks: list[dict]) -> list[dict]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figures = []
    possible = sum(points.values())
    totals = [sum(min(float(r["scores"].get(q, 0.0)), p) for q, p in points.items())
              for r in graded]
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.hist(totals, bins=min(25, max(5, len(totals))), range=(0, possible), color="tab:blue",
            edgecolor="white")
    ax.set_xlabel(f"autograded total (of {possible:g})")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title("Score distribution")
    figures.append({"alt": "histogram of totals", "data": _png(fig)})
    plt.close(fig)

    states = _question_states(graded, points)
    colours = {"full marks": "tab:green", "partly right": "gold",
               "answered, wrong": "tab:red", "not answered": "lightgrey"}
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(points) + 1.2))
    left = [0.0] * len(points)
    for state, colour in colours.items():
        widths = [states[q][state] for q in points]
        ax.barh(list(points), widths, left=left, color=colour, label=state)
        left = [a + b for a, b in zip(left, widths)]
    ax.invert_yaxis()
    ax.set_xlabel("graded submissions")
    ax.set_title("Each question: full marks, partly right, wrong, not answered")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    figures.append({"alt": "answers per question", "data": _png(fig)})
    plt.close(fig)

    if checks:
        labels = [textwrap.shorten(f"{c['question']}: {c['name']}", 60, placeholder=" …")
                  for c in checks]
        fig, ax = plt.subplots(figsize=(9, 0.28 * len(checks) + 1.2))
        wrong = [c["wrong"] / max(c["total"], 1) for c in checks]
        untouched = [c["unanswered"] / max(c["total"], 1) for c in checks]
        ax.barh(labels, wrong, color="tab:red", label="answered, failed")
        ax.barh(labels, untouched, left=wrong, color="lightgrey", label="not answered")
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of graded submissions failing the check")
        ax.set_title("Each check's failure rate")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
        ax.tick_params(axis="y", labelsize=7)
        figures.append({"alt": "failure rate per check", "data": _png(fig)})
        plt.close(fig)
    return figures


def _who(record: dict) -> str:
    return "; ".join(p.get("name") or p.get("sid") or p.get("email") or "?"
                     for p in record.get("people") or []) or "(unknown)"


def _file(record: dict) -> str:
    """The file as the class folder has it (a Gradescope export names every notebook the
    same: its folder says whose it is)."""
    path = Path(str(record.get("file", "")))
    return f"{path.parent.name}/{path.name}" if path.name else "(none)"


def write_report(records: list[dict], points: dict[str, float], out: Path, title: str) -> Path:
    """Write ``out/report.html`` for the class's records; return its path."""
    graded = [r for r in records if r.get("scores") and r.get("status") in ("graded", "timeout")]
    checks = check_rates(graded)
    totals = sorted(sum(min(float(r["scores"].get(q, 0.0)), p) for q, p in points.items())
                    for r in graded)
    status = Counter(r.get("status", "") for r in records)
    page = _TEMPLATE.render(
        title=title, counts=", ".join(f"{n} {s}" for s, n in sorted(status.items())),
        possible=sum(points.values()), graded=bool(graded),
        median=statistics.median(totals) if totals else 0,
        mean=sum(totals) / len(totals) if totals else 0,
        figures=_figures(graded, points, checks), checks=checks,
        ungraded=[{"who": _who(r), "file": _file(r), "status": r["status"],
                   "reason": r.get("reason", "")} for r in records if r not in graded])
    path = Path(out) / REPORT
    path.write_text(page, encoding="utf-8")
    return path
