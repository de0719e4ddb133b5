"""The one place Otter's output is adjusted: the Gradescope entry point of ``autograder.zip``.

Otter has no hook for replacing what ``run_autograder`` runs (its plugins run inside Otter's own
grading, which executes the notebook unsandboxed), so the build edits the two scripts Otter
renders: ``setup.sh`` gains :data:`SETUP`, and ``run_autograder`` runs :data:`RUNNER` in place of
Otter's ``run_otter.py``. :data:`OTTER_COMMAND` is the line replaced; ``tests/test_otter_zip.py``
reads it from the installed Otter's template and fails if Otter ever renders it differently.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .grade import grading_environment

__all__ = ["tune_entry_point", "SETUP", "RUNNER", "OTTER_COMMAND", "GRADESCOPE_CACHE"]

#: Where the Gradescope image keeps its compile cache (poolside/grading/cache.py).
GRADESCOPE_CACHE = "/autograder/cache"
_FILES = "/autograder/source/files"
#: Appended to setup.sh, run once when Gradescope builds the image: compile the reference
#: models, install bubblewrap (and iptables, to close the network where no namespace can be
#: made) and make what the student's side must not read root-only (grading/sandbox.py).
SETUP = f"""
# Compile what grading compiles into the image (poolside/grading/cache.py)
cd {_FILES} && mamba run -n otter-env python -m poolside.grading.cache warm {GRADESCOPE_CACHE} --assignment {_FILES}

# The student's notebook runs as a uid leased for its grading, never root
# (poolside/grading/sandbox.py): in bubblewrap where the container allows namespaces, else as
# that uid directly, which must pass through to the interpreter but read nothing hidden.
apt-get install -y bubblewrap iptables || true
chmod 700 /autograder/source {GRADESCOPE_CACHE}
chmod o+x /root
"""
#: Otter's grading command in its run_autograder template, as rendered for Gradescope.
OTTER_COMMAND = "python /autograder/source/run_otter.py"
#: Replaces OTTER_COMMAND: the one grading path.
RUNNER = f"python -m poolside.grading.runner --gradescope /autograder --assignment {_FILES}"


#: The timestamp every entry of the zip gets (the earliest a zip can hold).
EPOCH = (1980, 1, 1, 0, 0, 0)


def _fixed(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    fixed = zipfile.ZipInfo(info.filename, date_time=EPOCH)
    fixed.external_attr = info.external_attr
    fixed.compress_type = zipfile.ZIP_DEFLATED
    fixed.create_system = 3  # unix: the modes in external_attr are read as such
    return fixed


def tune_entry_point(zip_path: Path, extra: dict[str, str] | None = None) -> None:
    """Adjust the zip's scripts: ``setup.sh`` gains :data:`SETUP`, and ``run_autograder``
    exports :func:`grading_environment` and runs :data:`RUNNER` where Otter's command was.
    ``extra`` files (name under ``files/``: text) are added."""
    exports = " ".join(f"{k}={v}" for k, v in grading_environment(GRADESCOPE_CACHE).items())
    with zipfile.ZipFile(zip_path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    for name, text in (extra or {}).items():
        info = zipfile.ZipInfo(f"files/{name}")
        info.external_attr = 0o644 << 16
        entries.append((info, text.encode()))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as target:
        # Sorted, with one fixed timestamp: the same inputs give the same bytes, so a rebuild
        # does not change the zip's hash, which keys every stored result.
        for info, data in sorted(entries, key=lambda entry: entry[0].filename):
            info = _fixed(info)
            if info.filename == "run_autograder":
                text = data.decode()
                if OTTER_COMMAND not in text:
                    raise RuntimeError("unexpected run_autograder from Otter; cannot tune it")
                text = text.replace(OTTER_COMMAND,
                                    f"export {exports} PYTHONPATH={_FILES}\n{RUNNER}")
                data = text.encode()
            elif info.filename == "setup.sh":
                data = (data.decode().rstrip("\n") + "\n" + SETUP).encode()
            target.writestr(info, data)
