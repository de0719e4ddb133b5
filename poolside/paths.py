"""Where the project's sources and build outputs live."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "spotify.csv"
ASSIGNMENT = ROOT / "assignment"
MASTER = ASSIGNMENT / "hierarchical.ipynb"
ACTIVITY = ASSIGNMENT / "activity.py"
#: Shipped next to the student notebook (and into the autograder zip: the notebook imports them).
STUDENT_MODULES = (ACTIVITY, ASSIGNMENT / "versions.py", ASSIGNMENT / "submit.py")
#: The student environment: the grading lock plus JupyterLab, and how to install it.
STUDENT_LOCK = ASSIGNMENT / "student-requirements.txt"
INSTALL_GUIDE = ASSIGNMENT / "INSTALL.md"
REQUIREMENTS = ASSIGNMENT / "requirements.txt"
AUTOGRADER = ROOT / "autograder"
SOLUTIONS = ROOT / "solutions"
REFERENCE_JSON = SOLUTIONS / "reference.json"
DIST = ROOT / "dist"
