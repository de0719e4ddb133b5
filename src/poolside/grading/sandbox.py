"""Where the student's side runs: a sandbox that sees only its own folder.

Three ways, chosen once per grader by :func:`choose`:

``bwrap``
    bubblewrap (Debian/Ubuntu package ``bubblewrap``): new user, PID, network, IPC and mount
    namespaces; the interpreter and system libraries read-only; the submission's folder the
    only writable place; no network; every process killed with the namespace.
``user``
    When running as root without namespaces (Gradescope's container): the student's side runs
    as an unprivileged user made when the image was built, which cannot read the hidden
    material (root-only), and every process of that user is killed afterwards.
``none``
    Neither is available: graded anyway, and each result says it was not sandboxed.

In every case the side runs with resource limits (memory, file size, processes) and a
time limit, in its own session, and is killed when the time is up.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Sandbox", "choose", "STUDENT_USER", "LIMITS"]

#: The unprivileged user the Gradescope image makes (see ``setup.sh``).
STUDENT_USER = "poolside-student"
#: Per-submission resource limits: address space, size of any file written, core dumps. An
#: honest grading needs well under 1 GB.
LIMITS = {
    resource.RLIMIT_AS: 6 * 1024**3,
    resource.RLIMIT_FSIZE: 256 * 1024**2,
    resource.RLIMIT_CORE: 0,
}
#: Processes and threads, for the dedicated user only: the limit counts every process of the
#: user, so on an instructor's own account it would count their whole desktop.
USER_PROCESSES = 512
MOUNT = "/grading"


def _limit(processes: int | None = None):
    limits = dict(LIMITS)
    if processes:
        limits[resource.RLIMIT_NPROC] = processes
    for which, value in limits.items():
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass
    try:  # die with the grader, even if it is killed (bwrap does this for its namespace)
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_BARE = """
import importlib.util, json, sys
spec = importlib.util.find_spec("poolside")
print(json.dumps({"path": sys.path[1:], "poolside": spec.submodule_search_locations[0]
                  if spec and spec.submodule_search_locations else None}))
"""


@functools.lru_cache(maxsize=1)
def _bare_interpreter() -> dict:
    """What this interpreter imports from when started bare (no PYTHONPATH, no user site
    folder, no working folder), and where it finds poolside."""
    done = subprocess.run([sys.executable, "-s", "-c", _BARE], capture_output=True, text=True,
                          cwd="/", timeout=60, env={"PATH": os.defpath})
    return json.loads(done.stdout) if done.returncode == 0 else {"path": [], "poolside": None}


def _library_folders() -> tuple[Path, ...]:
    """The bare interpreter's import folders: what the student's kernel needs, nothing of the
    caller's (a .pth file may add some outside the prefixes: an environment layered on another)."""
    return tuple(sorted({Path(p).resolve() for p in _bare_interpreter()["path"]
                         if p and Path(p).is_dir()}))


def _installed_poolside() -> Path | None:
    found = _bare_interpreter()["poolside"]
    return Path(found).resolve() if found and Path(found).is_dir() else None


@dataclass
class Sandbox:
    kind: str  # "bwrap", "user" or "none"
    reason: str = ""

    @property
    def label(self) -> str:
        return {"bwrap": "sandboxed (bubblewrap)", "user": f"sandboxed (user {STUDENT_USER})",
                "none": "unsandboxed"}[self.kind]

    def folder_inside(self, folder: Path) -> Path:
        return Path(MOUNT) if self.kind == "bwrap" else folder

    def _bwrap(self, folder: Path, argv: list[str], env: dict) -> list[str]:
        # The interpreter's own library folders, and those a .pth file adds (an environment
        # layered on another), read-only; not the user's site folder or PYTHONPATH.
        prefixes = sorted({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
                           Path(sys.executable).resolve().parent.parent})
        command = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                   "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
        for path in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/ld.so.cache",
                     "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/fonts"):
            command += ["--ro-bind-try", path, path]
        extra = [f for f in _library_folders()
                 if not any(f.is_relative_to(p) for p in prefixes)]
        for prefix in [*prefixes, *extra]:
            command += ["--ro-bind", str(prefix), str(prefix)]
        venv = Path(sys.prefix)
        if venv != venv.resolve():
            command += ["--ro-bind", str(venv.resolve()), str(venv)]
        # The student's side needs nothing of poolside (sandboxed/ is copied next to the
        # notebook): where the interpreter would import it from, an empty folder stands in.
        hidden = _installed_poolside()
        if hidden is not None:
            command += ["--tmpfs", str(hidden)]
        command += ["--bind", str(folder), MOUNT, "--chdir", MOUNT, "--clearenv"]
        for key, value in env.items():
            command += ["--setenv", key, value]
        return command + argv

    def run(self, folder: Path, argv: list[str], env: dict, timeout: float,
            log: Path) -> dict:
        """Run ``argv`` as the student's side in ``folder``; return what happened."""
        inside = str(self.folder_inside(folder))
        env = {**env, "HOME": f"{inside}/home", "PYTHONPATH": inside, "MPLBACKEND": "Agg",
               "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "TMPDIR": "/tmp"}
        (folder / "home").mkdir(exist_ok=True)
        if self.kind == "bwrap":
            command = self._bwrap(folder, argv, env)
        elif self.kind == "user":
            user = pwd.getpwnam(STUDENT_USER)
            _chown_tree(folder, user.pw_uid, user.pw_gid)
            # The grader's own folder (mkdtemp: 0700) must let the user pass through to its
            # folder, without letting it list what else is there.
            parent = folder.parent
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
            command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                       "--clear-groups", "--inh-caps=-all", "--", "env", "-i",
                       *[f"{k}={v}" for k, v in env.items()], *argv]
            if _works(["unshare", "--net", "true"]):
                command = ["unshare", "--net", "--", *command]
        else:
            command = ["env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv]
        started = time.monotonic()
        with open(log, "wb") as output:
            proc = subprocess.Popen(command, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    preexec_fn=functools.partial(
                                        _limit, USER_PROCESSES if self.kind == "user" else None))
            try:
                returncode = proc.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
                returncode = None
            finally:
                self.kill(proc)
        return {"returncode": returncode, "timed_out": timed_out,
                "seconds": time.monotonic() - started}

    def kill(self, proc: subprocess.Popen) -> None:
        """Kill every process the student's side started (its namespace, user or session)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        if self.kind == "user":
            uid = pwd.getpwnam(STUDENT_USER).pw_uid
            for _ in range(50):
                if not _kill_user(uid):
                    break
                time.sleep(0.05)


def _kill_user(uid: int) -> int:
    """SIGKILL every process whose real uid is ``uid``; return how many were found."""
    found = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        found += 1
                        os.kill(int(entry.name), signal.SIGKILL)
                    break
        except (OSError, ValueError):
            continue
    return found


def _chown_tree(folder: Path, uid: int, gid: int) -> None:
    for root, dirs, files in os.walk(folder):
        os.chown(root, uid, gid)
        for name in files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def choose(prefer: str | None = None) -> Sandbox:
    """The strongest sandbox this machine offers (or ``prefer``: "bwrap", "user", "none")."""
    prefer = prefer or os.environ.get("POOLSIDE_SANDBOX") or None
    bwrap = shutil.which("bwrap") is not None and _works(
        ["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
         "true"])
    user = os.geteuid() == 0 and _user_exists(STUDENT_USER)
    if prefer == "none":
        return Sandbox("none", "asked for no sandbox")
    if prefer in (None, "bwrap") and bwrap:
        return Sandbox("bwrap")
    if prefer in (None, "user") and user:
        return Sandbox("user")
    if prefer:
        raise RuntimeError(f"the {prefer!r} sandbox is not available on this machine")
    return Sandbox("none", "no sandbox available: install bubblewrap (apt install bubblewrap)")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
