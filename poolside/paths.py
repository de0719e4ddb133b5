"""Where the project's sources and build outputs live."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "spotify.csv"
ASSIGNMENT = ROOT / "assignment"
MASTER = ASSIGNMENT / "hierarchical.ipynb"
ACTIVITY = ASSIGNMENT / "activity.py"
REQUIREMENTS = ASSIGNMENT / "requirements.txt"
AUTOGRADER = ROOT / "autograder"
SOLUTIONS = ROOT / "solutions"
REFERENCE_JSON = SOLUTIONS / "reference.json"
DIST = ROOT / "dist"
