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
