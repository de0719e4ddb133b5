"""The notebook's cells never see the grader's inputs, and a report changed after its probe
ends is not used: the solution with a cell that looks for the stand-in posteriors and starts a
process that rewrites its own fit report once written."""

from __future__ import annotations

import nbformat
import pytest

from poolside import grade

pytestmark = pytest.mark.slow

#: If the inputs were on disk while the cells run, q12's answer turns wrong (one point).
LOOK_FOR_INPUTS = r'''
import pathlib
if any(pathlib.Path(".").glob("inputs*")):
    q12 = "no pooled"
'''

#: Waits for the hierarchical fit's report, then swaps in the no pooled one's: a report that
#: would still be plain data, changed after its probe ended.
SWAP_REPORTS = r'''
import os, subprocess, sys
watcher = """
import os, shutil, time
out = 'out'
deadline = time.time() + 600
while time.time() < deadline:
    if os.path.exists(f'{out}/fit-hierarchical.json') and os.path.exists(f'{out}/fit-no_pooled.json'):
        time.sleep(0.2)
        for suffix in ('.npz', '.json'):
            shutil.copy(f'{out}/fit-no_pooled{suffix}', f'{out}/.swap{suffix}')
            os.replace(f'{out}/.swap{suffix}', f'{out}/fit-hierarchical{suffix}')
        break
    time.sleep(0.05)
"""
subprocess.Popen([sys.executable, "-c", watcher], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''


def _graded(built, tmp_path, cells: list[str], cell_timeout: int):
    """The solution with ``cells`` appended, graded alone: its row and the points."""
    nb = nbformat.read(built["solution"], as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(cell) for cell in cells]
    path = tmp_path / "submissions" / "solution-and-more.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    table = grade.main([path], tmp_path / "out", built["autograder"], jobs=1, timeout=600,
                       cell_timeout=cell_timeout, echo=lambda text: None)
    row = table.iloc[0]
    assert row["status"] == "graded", row["reason"]
    return row, grade.question_points(built["autograder"])


def test_cells_never_see_inputs_and_a_rewritten_report_is_not_used(built, tmp_path):
    row, points = _graded(built, tmp_path, [LOOK_FOR_INPUTS, SWAP_REPORTS], 60)
    assert row["q12"] == points["q12"], "the cells could see the grader's inputs"
    # The hierarchical fit's report was swapped after its probe: not used, and said so.
    assert row["q11"] == points["q11"] - 4, row["reason"]
    assert "changed after their check ran" in row["reason"]
    others = [q for q in points if q not in ("q11",)]
    assert all(row[q] == points[q] for q in others), row.to_dict()


#: A fit made again with a seed of the moment (so a second run of its probe would differ), a
#: function that sabotages a later answer if it ever runs while the inputs are on disk, and a
#: plot function that kills the kernel when probed: the notebook is replayed for the probes
#: after it.
REPLAYED = r'''
import os, pathlib
import numpy as np, pymc as pm
_model = complete_pooled_fit[0]
complete_pooled_fit = (_model, pm.sample(
    model=_model, draws=5000, tune=5000, chains=4, cores=1, nuts_sampler="nutpie",
    random_seed=int.from_bytes(os.urandom(4), "little") % 2**31, progressbar=False))
if any(pathlib.Path(".").glob("inputs*")):
    def pooling_weights(idata, artist_means):
        return None
def plot_hierarchical_intervals(hierarchical_predictions, artist_means, complete_predictions):
    os._exit(1)
'''


def test_a_replay_after_a_dead_kernel_neither_reruns_probes_nor_shows_the_inputs(built,
                                                                                 tmp_path):
    row, points = _graded(built, tmp_path, [REPLAYED], 120)
    assert "changed after" not in row["reason"]  # the fit's probe was not run again
    assert row["q14"] == 0  # its function killed the kernel
    assert all(row[q] == points[q] for q in points if q != "q14"), row.to_dict()
