"""The example assignment this repository holds (its poolside.toml), for the tests."""

from pathlib import Path

from poolside.grading.assignment import load

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = load(ROOT)
DATA = ASSIGNMENT.data[0]
MASTER = ASSIGNMENT.master
REFERENCE_JSON = ASSIGNMENT.references
REQUIREMENTS = ASSIGNMENT.environment
STUDENT_LOCK = ASSIGNMENT.student_environment
INSTALL_GUIDE = ASSIGNMENT.install_guide


def results_folder(out, file_name: str):
    """The folder ``poolside grade`` wrote a file's results to (its name, then a hash of its
    path): the only one in ``out`` for that file name in these tests."""
    from pathlib import Path

    found = sorted(Path(out).glob(f"*_{file_name}-*"))
    assert len(found) == 1, (file_name, found)
    return found[0]


#: The assignment's hidden checks, collected once (``pytest`` in-process, see
#: poolside.grading.checks).
REGISTRY = ASSIGNMENT.load_registry()
