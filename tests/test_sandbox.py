"""What the student's side can do in each sandbox, asked from inside it: who it runs as, what it
can write, reach and leave behind.

The ``user`` sandbox (Gradescope's: root without namespaces) is tried here too, as root; the
``reachable`` fixture (``conftest.py``) lets other users pass through the folders above this
interpreter for the duration, as Gradescope's ``setup.sh`` does (``chmod o+x /root``).
"""

import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import poolside
from poolside.grading import sandbox as sandbox_module
from poolside.grading.sandbox import _library_folders, choose

pytestmark = pytest.mark.slow

KINDS = ["bwrap", "user"]

SEE = """
import json, os, pathlib, sys
import numpy, pymc  # the libraries a notebook imports
tool = pathlib.Path(sys.argv[1])
print(json.dumps({"tool": sorted(os.listdir(tool)) if tool.is_dir() else None,
                  "home": os.environ.get("HOME")}))
"""

#: Everything a submission could try to become root again, or to reach past its folder.
PROBE = r"""
import ctypes, json, os, socket, subprocess, sys
status = {line.split(":")[0]: line.split(":", 1)[1].strip()
          for line in open("/proc/self/status") if ":" in line}
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 32, 4096
remount = libc.mount(None, sys.prefix.encode(), None, MS_REMOUNT | MS_BIND, None)
writable = []
for path in ["/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger",
             "/sys/kernel/uevent_helper", os.__file__,
             os.path.join(sys.prefix, "pyvenv.cfg"), sys.argv[1]]:
    try:
        with open(path, "a"):
            writable.append(path)
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=3).close()
    network = "open"
except OSError as err:
    network = type(err).__name__
try:
    setuid = os.setuid(0) or "became root"
except OSError:
    setuid = "refused"
print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "cap_eff": status["CapEff"],
                  "cap_bnd": status["CapBnd"], "no_new_privs": status["NoNewPrivs"],
                  "remount": remount, "writable": writable, "network": network,
                  "setuid": setuid}))
"""


def _sandbox(kind: str):
    if os.geteuid() != 0 and kind == "user":
        pytest.skip("the 'user' sandbox is root's (Gradescope runs as root)")
    sandbox = choose(kind)
    assert sandbox.kind == kind
    return sandbox


def _run(sandbox, box, script: str, *args, timeout: float = 120):
    (box.folder / "script.py").write_text(script)
    log = box.folder.parent / "log"
    run = sandbox.run(box, [sys.executable, "script.py", *map(str, args)], {}, timeout, log)
    return run, log.read_text()


def _listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()  # a connection would be queued: connecting succeeds if it can reach here
    return server


def test_the_sandbox_shows_the_libraries_but_not_poolside():
    sandbox = choose()
    assert sandbox.kind == "bwrap", "install bubblewrap to run the sandbox tests"
    assert any(Path(p).name == "site-packages" for p in map(str, _library_folders()))
    tool = Path(poolside.__file__).resolve().parent
    assert (tool / "grading" / "model_check.py").is_file()
    with sandbox.open() as box:
        run, log = _run(sandbox, box, SEE, tool)
    assert run["returncode"] == 0, log
    seen = json.loads(log.strip().splitlines()[-1])
    assert seen["tool"] in ([], None)  # the installed package is an empty folder inside
    assert seen["home"] != str(Path.home())


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_inside_the_sandbox_is_root_or_can_become_it(kind, reachable):
    sandbox = _sandbox(kind)
    server = _listener()
    outside = Path(sys.prefix) / "pyvenv.cfg"
    try:
        with sandbox.open() as box:
            run, log = _run(sandbox, box, PROBE, outside, server.getsockname()[1])
    finally:
        server.close()
    assert run["returncode"] == 0, log
    seen = json.loads(log.strip().splitlines()[-1])
    assert seen["uid"] != 0 and seen["euid"] != 0
    if os.geteuid() == 0:
        assert seen["uid"] == box.uid  # the grading's own uid, not the grader's
    assert int(seen["cap_eff"], 16) == 0
    assert seen["no_new_privs"] == "1"
    assert seen["remount"] != 0  # the read-only interpreter stays read-only
    assert seen["writable"] == []  # /proc/sys, /sys, the interpreter, the grader's files
    assert seen["setuid"] == "refused"
    assert seen["network"] != "open"


@pytest.mark.parametrize("kind", KINDS)
def test_two_gradings_at_once_get_different_uids_and_do_not_see_each_other(kind, reachable):
    sandbox = _sandbox(kind)
    if os.geteuid() != 0:
        pytest.skip("uids are leased by root")
    with sandbox.open() as first, sandbox.open() as second:
        assert first.uid != second.uid
        for box in (first, second):  # closed to others before anything is copied in
            info = os.stat(box.folder)
            assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (box.uid, 0o700)
        (first.folder / "secret.txt").write_text("first's")
        os.chmod(first.folder, 0o700)
        os.chown(first.folder, first.uid, first.uid)
        peek = ("import sys, pathlib\n"
                "try:\n    print(pathlib.Path(sys.argv[1]).read_text())\n"
                "except OSError as err:\n    print('refused', type(err).__name__)\n")
        run, log = _run(sandbox, second, peek, first.folder / "secret.txt")
    assert "first's" not in log and "refused" in log


DETACH = r"""
import os, subprocess, sys, time, pathlib
pathlib.Path("/tmp/poolside-left-behind").mkdir(exist_ok=True)
pathlib.Path("/dev/shm/poolside-left-behind").write_text("x")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp(sys.executable, [sys.executable, "-c",
                  "import time\nwhile True: time.sleep(1)", "poolside-detached-marker"])
    os._exit(0)
print("detached")
"""


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_a_grading_starts_or_leaves_in_shared_places_outlives_it(kind, reachable):
    sandbox = _sandbox(kind)
    with sandbox.open() as box:
        run, log = _run(sandbox, box, DETACH)
        uid = box.uid
    assert "detached" in log
    time.sleep(0.5)
    if uid is not None:
        assert sandbox_module._kill_user(uid) == 0
    assert not Path("/tmp/poolside-left-behind").exists()
    assert not Path("/dev/shm/poolside-left-behind").exists()


FILL = r"""
import sys
where, count = sys.argv[1], int(sys.argv[2])
chunk = b"x" * (8 * 1024**2)
for i in range(count):
    try:
        with open(f"{where}/fill-{i}", "wb") as f:
            for _ in range(4):
                f.write(chunk)
    except OSError as err:
        print("refused", type(err).__name__, flush=True)
        break
    print("wrote", i, flush=True)
import time
time.sleep(30)
"""


@pytest.mark.parametrize("kind", KINDS)
def test_what_a_grading_writes_is_bounded_in_all_not_per_file(kind, reachable, monkeypatch):
    sandbox = _sandbox(kind)
    monkeypatch.setitem(sandbox_module.QUOTA, "bytes", 100 * 1024**2)
    with sandbox.open() as box:
        started = time.monotonic()
        run, log = _run(sandbox, box, FILL, ".", 20, timeout=60)
    assert run["quota"], log  # 640 MB of 32 MB files: stopped, and said why
    assert "wrote more than" in " ".join(box.notes)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("kind", KINDS)
def test_temporary_folders_count_against_the_quota(kind, reachable, monkeypatch):
    sandbox = _sandbox(kind)
    monkeypatch.setitem(sandbox_module.QUOTA, "bytes", 100 * 1024**2)
    monkeypatch.setitem(sandbox_module.TMPFS, "/tmp", 100 * 1024**2)
    with sandbox.open() as box:
        run, log = _run(sandbox, box, FILL, "/tmp", 20, timeout=60)
    # In bubblewrap /tmp is its own small tmpfs (the write is refused); as a plain user the
    # quota counts what the uid owns in the machine's /tmp (it is stopped).
    assert "refused" in log or run["quota"], log
    assert not any(Path("/tmp").glob("fill-[0-9]*"))


def test_a_folder_left_by_a_killed_grader_goes_with_the_next_lease_of_its_uid():
    if os.geteuid() != 0:
        pytest.skip("uids are leased by root")
    with sandbox_module.lease_uid() as uid:
        pass  # the first free uid: the next lease takes it again
    stale = Path(tempfile.mkdtemp(prefix="poolside-sandbox-", dir=sandbox_module.ROOT))
    (stale / "student" / "deep").mkdir(parents=True)
    os.chown(stale / "student", uid, uid)
    with sandbox_module.lease_uid() as again:
        assert again == uid
        assert not stale.exists()


NETWORK = r"""
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
    print("network open")
except OSError as err:
    print("network closed", type(err).__name__)
"""


def _rules() -> str:
    return subprocess.run(["iptables", "-S", "OUTPUT"], capture_output=True, text=True).stdout


def test_without_network_namespaces_a_firewall_rule_closes_it_for_the_uid(reachable,
                                                                          monkeypatch):
    sandbox = _sandbox("user")
    try:
        usable = subprocess.run(["iptables", "-S"], capture_output=True).returncode == 0
    except OSError:
        usable = False
    if not usable:
        pytest.skip("no usable iptables here (scripts/setup.sh installs it where it can)")
    monkeypatch.setattr(sandbox_module, "_network_namespaces", lambda: False)
    server = _listener()
    try:
        with sandbox.open() as box:
            run, log = _run(sandbox, box, NETWORK, server.getsockname()[1])
    finally:
        server.close()
    assert "network closed" in log, log
    assert box.notes == []
    assert "--uid-owner" not in _rules()  # the rule goes with the grading


def test_where_the_network_cannot_be_closed_the_results_say_so(reachable, monkeypatch):
    sandbox = _sandbox("user")
    monkeypatch.setattr(sandbox_module, "_network_namespaces", lambda: False)
    monkeypatch.setattr(sandbox_module, "_firewall", lambda uid, on: False)
    with sandbox.open() as box:
        _run(sandbox, box, "print('hello')")
    assert "the network could not be closed on this machine" in box.notes


MANY = r"""
import sys, time
for i in range(int(sys.argv[1])):
    open(f"/tmp/{i:06d}" + "x" * 240, "w").close()
print("made", flush=True)
time.sleep(30)
"""


def test_many_long_names_in_the_shared_tmp_do_not_switch_the_quota_off(reachable,
                                                                       monkeypatch):
    # Listed on du's command line they would exceed the argument limit, and the quota would
    # stop looking.
    sandbox = _sandbox("user")
    monkeypatch.setitem(sandbox_module.QUOTA, "files", 5000)
    with sandbox.open() as box:
        run, log = _run(sandbox, box, MANY, 12_000, timeout=60)
    # The quota may stop the script before it has made them all (on a busy machine making
    # 12,000 files outlasts a quota check): either way it must have stopped it.
    assert run["quota"], log
    assert not any(Path("/tmp").glob("000000x*"))
