"""What the student's side sees in the bubblewrap sandbox: the libraries, not the tool."""

import sys
from pathlib import Path

import pytest

import poolside
from poolside.grading.sandbox import _library_folders, choose

pytestmark = pytest.mark.slow

SEE = """
import json, os, pathlib, sys
import numpy, pymc  # the libraries a notebook imports
tool = pathlib.Path(sys.argv[1])
print(json.dumps({"tool": sorted(os.listdir(tool)) if tool.is_dir() else None,
                  "home": os.environ.get("HOME")}))
"""


def test_the_sandbox_shows_the_libraries_but_not_poolside(tmp_path):
    sandbox = choose()
    assert sandbox.kind == "bwrap", "install bubblewrap to run the sandbox tests"
    assert any(Path(p).name == "site-packages" for p in map(str, _library_folders()))
    (tmp_path / "see.py").write_text(SEE)
    tool = Path(poolside.__file__).resolve().parent
    assert (tool / "grading" / "model_check.py").is_file()
    run = sandbox.run(tmp_path, [sys.executable, "see.py", str(tool)], {}, 120,
                      tmp_path / "log")
    log = (tmp_path / "log").read_text()
    assert run["returncode"] == 0, log
    import json

    seen = json.loads(log.strip().splitlines()[-1])
    assert seen["tool"] in ([], None)  # the installed package is an empty folder inside
    assert seen["home"] != str(Path.home())
