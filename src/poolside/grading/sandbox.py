"""Where the student's side runs: a sandbox that sees only its own folder, never as root.

Three ways, chosen once per grader by :func:`choose`:

``bwrap``
    bubblewrap (Debian/Ubuntu package ``bubblewrap``): new PID, network, IPC, UTS and mount
    namespaces; the interpreter and system libraries read-only; the submission's folder and a
    size-limited ``/tmp`` and ``/dev/shm`` the only writable places. Started by root, bubblewrap
    sets the namespaces up and the student's side then runs as a uid leased for this grading
    alone, with no capabilities and ``no_new_privs`` (a process of root, even in a user
    namespace, could remount the interpreter writable and reach ``/proc/sys``). Started by
    anyone else, bubblewrap makes an unprivileged user namespace and drops every capability.
``user``
    Root without namespaces (Gradescope's Docker container): the student's side runs as a uid
    leased for this grading, which can read nothing root-only, in a network namespace where
    one can be made, else behind a firewall rule for that uid, else with a note saying the
    network was open.
``none``
    Neither is available: graded anyway, and each result says it was not sandboxed.

Every way runs with resource limits (memory, file size, processes per leased uid), a time
limit and a disk quota on everything the side writes (its folder and, for ``user``, the shared
temporary folders), and kills and removes what the grading's uid left behind. A leased uid is
used by one grading at a time (a lock in a root-only folder), so one submission never signals,
reads or inherits another's processes or files.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .cleanup import remove_tree

__all__ = ["Sandbox", "Box", "choose", "LIMITS", "QUOTA", "UID_BASE"]

#: Per-submission resource limits: address space, size of any file written, core dumps. An
#: honest grading needs well under 1 GB.
LIMITS = {
    resource.RLIMIT_AS: 6 * 1024**3,
    resource.RLIMIT_FSIZE: 256 * 1024**2,
    resource.RLIMIT_CORE: 0,
}
#: Processes and threads of a leased uid (it is this grading's alone, so this bounds a fork
#: bomb); not set on an instructor's own account, where it would count their whole desktop.
UID_PROCESSES = 512
#: Bytes and files the side may leave on disk in all (an honest grading writes about 40 MB).
QUOTA = {"bytes": 768 * 1024**2, "files": 50_000}
#: Seconds between two looks at what the side has written (each look runs ``du`` twice).
QUOTA_EVERY = 2.0
#: Sizes of the sandbox's own /tmp and /dev/shm (memory-backed, so counted against RAM).
TMPFS = {"/tmp": 256 * 1024**2, "/dev/shm": 64 * 1024**2}
#: Leased uids: UID_BASE .. UID_BASE + SLOTS - 1, none of them a user of this machine.
UID_BASE = int(os.environ.get("POOLSIDE_UID_BASE", "64100"))
SLOTS = 64
#: Where every grader on this machine keeps the sandboxes' folders and the leases: one fixed
#: place whatever TMPDIR a grader runs with (two graders must see the same leases).
ROOT = Path(os.environ.get("POOLSIDE_SANDBOX_ROOT", "/tmp"))
#: Where leases are held (flock on one file per uid); root-only.
LEASES = ROOT / "poolside-uid-leases"
#: Shared writable places a uid without a mount namespace can leave files in.
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")
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


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# --- leased uids ---------------------------------------------------------------------------

def _lease_folder() -> Path:
    LEASES.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(LEASES)
    if LEASES.is_symlink() or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise RuntimeError(f"{LEASES} is not a folder only this user can write; remove it")
    return LEASES


@contextmanager
def lease_uid():
    """A uid no other grading uses until this one ends, cleared of anything a crashed earlier
    grading left: yield the uid."""
    folder = _lease_folder()
    for slot in range(SLOTS):
        uid = UID_BASE + slot
        if _known_id(uid):
            continue  # a real user or group of this machine: never borrow it
        fd = os.open(folder / str(uid), os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            clear_uid(uid)
        except RuntimeError:  # something of an earlier grading survives: not this uid
            os.close(fd)
            continue
        try:
            _remove_stale_folders(uid)
            yield uid
        finally:
            try:
                clear_uid(uid)
            except RuntimeError:
                pass  # the next lease of this uid tries again, and skips it if it must
            os.close(fd)  # releases the lock
        return
    raise RuntimeError(f"all {SLOTS} sandbox uids are in use: grade fewer at once")


#: Run as the uid: signal -1 reaches every process the uid owns in one step, so no fork can
#: slip between a scan of /proc and a kill (the killer itself is spared, and exits).
_KILL_ALL = "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass"


def _known_id(uid: int) -> bool:
    import grp

    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
            return True
        except KeyError:
            pass
    return False


def clear_uid(uid: int) -> None:
    """Kill every process of ``uid`` and remove what it left in the shared temporary folders.
    Raises RuntimeError if some process of it survives (the uid is then not leased again)."""
    for _ in range(20):
        if not _kill_user(uid):
            break
        try:
            subprocess.run([*_drop_to(uid), sys.executable, "-S", "-c", _KILL_ALL],
                           capture_output=True, timeout=30, cwd="/")
        except (OSError, subprocess.SubprocessError):
            pass
        time.sleep(0.05)
    else:
        if _kill_user(uid):
            raise RuntimeError(f"processes of uid {uid} survive every kill")
    for place in SHARED_TMP:
        for entry in _owned_entries(place, uid):
            remove_tree(entry)


def _remove_stale_folders(uid: int) -> None:
    """Remove the sandbox folders of an earlier grading with ``uid`` whose grader was killed
    before it could (the lease says no grading uses them now)."""
    for base in ROOT.glob("poolside-sandbox-*"):
        try:
            if base.is_dir() and not base.is_symlink() \
                    and os.lstat(base / "student").st_uid == uid:
                remove_tree(base)
        except OSError:
            continue


def _owned_entries(place: str, uid: int) -> list[str]:
    """Top-level entries of ``place`` that ``uid`` owns (what it made there)."""
    found = []
    try:
        with os.scandir(place) as entries:
            for entry in entries:
                try:
                    if entry.stat(follow_symlinks=False).st_uid == uid:
                        found.append(entry.path)
                except OSError:
                    continue
    except OSError:
        pass
    return found


def _kill_user(uid: int) -> int:
    """SIGKILL every live process whose real or effective uid is ``uid``; return how many (a
    zombie is dead already: it waits only for a parent to read its status)."""
    found = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("State:") and line.split()[1:2] == ["Z"]:
                    break
                if line.startswith("Uid:"):
                    if uid in [int(v) for v in line.split()[1:3]]:
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


# --- disk quota ----------------------------------------------------------------------------

def _usage(folder: Path, uid: int | None) -> tuple[int, int]:
    """Bytes and files under ``folder`` (and, for a uid sharing the machine's temporary
    folders, what it owns there), counted by ``du`` (which walks any depth)."""
    places = [str(folder)]
    if uid is not None:
        places += [e for place in SHARED_TMP for e in _owned_entries(place, uid)]
    listed = "\0".join(places) + "\0"
    counts = []
    for flag in ("--block-size=1", "--inodes"):
        # The places on stdin, not the command line: any number of them, any names.
        done = subprocess.run(["du", "-s", "-x", flag, "-c", "--files0-from=-"],
                              input=listed.encode(), capture_output=True, timeout=60)
        last = done.stdout.decode(errors="replace").strip().splitlines()[-1:]
        words = last[0].split() if last else []
        if not (words and words[0].isdigit() and words[-1] == "total"):
            raise ValueError("du gave no total")
        counts.append(int(words[0]))
    return counts[0], counts[1]


class _Quota(threading.Thread):
    """Polls what the side has written; kills it (``over`` says why) past :data:`QUOTA`. At
    the file size limit and disk speeds, a side overshoots the quota by little more than
    ``QUOTA_EVERY`` seconds of writing before it is stopped."""

    def __init__(self, folder: Path, uid: int | None, kill):
        super().__init__(daemon=True)
        self.folder, self.uid, self.kill = folder, uid, kill
        self.stop = threading.Event()
        self.over = ""

    def run(self):
        failed = 0
        while not self.stop.wait(QUOTA_EVERY):
            try:
                size, files = _usage(self.folder, self.uid)
                failed = 0
            except (OSError, subprocess.SubprocessError, ValueError):
                # What cannot be measured three times running is not let go on unmeasured.
                failed += 1
                if failed < 3:
                    continue
                size, files = QUOTA["bytes"] + 1, -1
            if size > QUOTA["bytes"] or files > QUOTA["files"]:
                self.over = (f"the notebook wrote more than the grading allows "
                             f"({size / 1024**2:.0f} MB in {files} files; at most "
                             f"{QUOTA['bytes'] // 1024**2} MB and {QUOTA['files']} files)")
                self.kill()
                return


# --- the network, where no namespace can be made -------------------------------------------

def _network_namespaces() -> bool:
    """Whether this machine lets root make a network namespace (Docker's default does not)."""
    return _works(["unshare", "--net", "true"])


def _firewall(uid: int, on: bool) -> bool:
    """Reject every packet ``uid`` sends (iptables and ip6tables, as root); whether it held."""
    rule = ["OUTPUT", "-m", "owner", "--uid-owner", str(uid), "-j", "REJECT"]
    tools = ("iptables", "ip6tables")
    if any(shutil.which(tool) is None for tool in tools):
        return False
    if not on:
        return all([_works([tool, "-D", *rule]) for tool in tools])
    added = [tool for tool in tools if _works([tool, "-I", *rule])]
    if len(added) < len(tools):  # half a firewall is none: take back what was added
        for tool in added:
            _works([tool, "-D", *rule])
        return False
    return True


# --- the sandbox ---------------------------------------------------------------------------

@dataclass
class Box:
    """One grading's sandbox: its folder (the only place it may write), the uid it runs as
    (None: the caller's own) and, after :meth:`Sandbox.run`, what it found."""

    folder: Path
    uid: int | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Sandbox:
    kind: str  # "bwrap", "user" or "none"
    reason: str = ""

    @property
    def label(self) -> str:
        return {"bwrap": "sandboxed (bubblewrap)", "user": "sandboxed (an unprivileged user)",
                "none": "unsandboxed"}[self.kind]

    def folder_inside(self, folder: Path) -> Path:
        return Path(MOUNT) if self.kind == "bwrap" else folder

    @property
    def leases_uid(self) -> bool:
        return self.kind == "user" or (self.kind == "bwrap" and os.geteuid() == 0)

    @contextmanager
    def open(self):
        """A fresh folder for one grading (and a uid of its own, where one is used); yield a
        :class:`Box`. Everything in it, and every process of its uid, is gone afterwards."""
        base = Path(tempfile.mkdtemp(prefix="poolside-sandbox-", dir=ROOT))
        try:
            # The uid must pass through to its folder without listing what else is here.
            os.chmod(base, 0o711)
            folder = base / "student"
            folder.mkdir(mode=0o700)  # closed before anything is copied in
            if self.leases_uid:
                with lease_uid() as uid:
                    os.chown(folder, uid, uid)
                    yield Box(folder, uid)
            else:
                yield Box(folder, None)
        finally:
            remove_tree(base)

    def _bwrap(self, box: Box, argv: list[str], env: dict) -> list[str]:
        # The interpreter's own library folders, and those a .pth file adds (an environment
        # layered on another), read-only; not the user's site folder or PYTHONPATH.
        prefixes = sorted({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
                           Path(sys.executable).resolve().parent.parent})
        extra = [f for f in _library_folders()
                 if not any(f.is_relative_to(p) for p in prefixes)]
        if box.uid is None:  # not root: an unprivileged user namespace, no capabilities
            command = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns"]
        else:  # root: no user namespace (its root could remount); the uid is dropped below
            command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net",
                       "--unshare-uts", "--unshare-cgroup-try"]
        command += ["--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev"]
        for place, size in TMPFS.items():
            command += ["--perms", "1777", "--size", str(size), "--tmpfs", place]
        binds = [*prefixes, *extra]
        # bubblewrap gives the folders it makes to hold a bind their source's mode: a parent
        # like /root (0700) would stop the unprivileged uid on its way to the interpreter.
        parents = sorted({a for b in binds for a in b.parents if a != Path("/")}
                         - {Path(p) for p in ("/usr", "/bin", "/lib", "/lib64", "/sbin")})
        for parent in parents:
            command += ["--perms", "0755", "--dir", str(parent)]
        for path in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/ld.so.cache",
                     "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/fonts"):
            command += ["--ro-bind-try", path, path]
        for prefix in binds:
            command += ["--ro-bind", str(prefix), str(prefix)]
        venv = Path(sys.prefix)
        if venv != venv.resolve():
            command += ["--ro-bind", str(venv.resolve()), str(venv)]
        # The student's side needs nothing of poolside (sandboxed/ is copied next to the
        # notebook): where the interpreter would import it from, an empty folder stands in.
        hidden = _installed_poolside()
        if hidden is not None:
            command += ["--tmpfs", str(hidden)]
        command += ["--bind", str(box.folder), MOUNT, "--chdir", MOUNT, "--clearenv"]
        for key, value in env.items():
            command += ["--setenv", key, value]
        if box.uid is not None:
            command += _drop_to(box.uid)
        return command + argv

    def run(self, box: Box, argv: list[str], env: dict, timeout: float, log: Path) -> dict:
        """Run ``argv`` as the student's side in ``box``; return what happened."""
        inside = str(self.folder_inside(box.folder))
        # Libraries' temporary files (PyTensor's, the probes') go to the folder, under the
        # quota: a notebook that fills the small /tmp then costs only what it wrote there.
        env = {**env, "HOME": f"{inside}/home", "PYTHONPATH": inside, "MPLBACKEND": "Agg",
               "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
               "TMPDIR": f"{inside}/home/tmp", "USER": "student", "LOGNAME": "student"}
        (box.folder / "home" / "tmp").mkdir(parents=True, exist_ok=True)
        if box.uid is not None:
            _chown_tree(box.folder, box.uid, box.uid)
            os.chmod(box.folder, 0o700)
        firewall = False
        if self.kind == "bwrap":
            command = self._bwrap(box, argv, env)
        elif self.kind == "user":
            command = _drop_to(box.uid) + ["env", "-i", *[f"{k}={v}" for k, v in env.items()],
                                           *argv]
            if _network_namespaces():
                command = ["unshare", "--net", "--", *command]
            else:
                firewall = _firewall(box.uid, True)
                if not firewall:
                    box.notes.append("the network could not be closed on this machine")
        else:
            command = ["env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv]
        started = time.monotonic()
        try:
            with open(log, "wb") as output:
                proc = subprocess.Popen(
                    command, cwd=box.folder, stdout=output, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                    preexec_fn=functools.partial(
                        _limit, UID_PROCESSES if box.uid is not None else None))
                quota = _Quota(box.folder, box.uid if self.kind == "user" else None,
                               lambda: self._kill(proc, box))
                quota.start()
                try:
                    returncode = proc.wait(timeout=timeout)
                    timed_out = False
                except subprocess.TimeoutExpired:
                    timed_out = True
                    returncode = None
                finally:
                    quota.stop.set()
                    self._kill(proc, box)
                    quota.join()
        finally:
            if firewall:
                _firewall(box.uid, False)
        if quota.over:
            box.notes.append(quota.over)
        return {"returncode": returncode, "timed_out": timed_out,
                "seconds": time.monotonic() - started, "quota": quota.over}

    def _kill(self, proc: subprocess.Popen, box: Box) -> None:
        """Kill every process the student's side started (its namespace, session and uid)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        if box.uid is not None:
            clear_uid(box.uid)


def _unreachable() -> str | None:
    """The first folder on the way to this interpreter that other users cannot pass through
    (without a mount namespace, the leased uid must reach it where it is), or None."""
    for target in (Path(sys.executable).resolve(), Path(sys.prefix)):
        for folder in reversed(target.parents):
            try:
                if not os.stat(folder).st_mode & 0o001:
                    return str(folder)
            except OSError:
                return str(folder)
    return None


def _drop_to(uid: int) -> list[str]:
    """``setpriv`` arguments that run the rest as ``uid``: no groups, no capabilities (not even
    in the bounding set), and no way to gain any (``no_new_privs``)."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


def choose(prefer: str | None = None) -> Sandbox:
    """The strongest sandbox this machine offers (or ``prefer``: "bwrap", "user", "none")."""
    prefer = prefer or os.environ.get("POOLSIDE_SANDBOX") or None
    root = os.geteuid() == 0
    # The options this module uses (bubblewrap 0.8 or newer), tried as they will be used.
    probe = (["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc"] if root
             else ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns"])
    bwrap = shutil.which("bwrap") is not None and _works(
        [*probe, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
         "--perms", "1777", "--size", "1048576", "--tmpfs", "/tmp", "true"])
    blocked = _unreachable()
    user = root and shutil.which("setpriv") is not None and not blocked
    if prefer == "none":
        return Sandbox("none", "asked for no sandbox")
    if prefer in (None, "bwrap") and bwrap:
        return Sandbox("bwrap")
    if prefer in (None, "user") and user:
        return Sandbox("user")
    if prefer == "user" and blocked:
        raise RuntimeError(f"the 'user' sandbox needs the interpreter reachable by other users: "
                           f"{blocked} is not (chmod o+x {blocked}, as setup.sh does on "
                           "Gradescope)")
    if prefer:
        raise RuntimeError(f"the {prefer!r} sandbox is not available on this machine")
    return Sandbox("none", "no sandbox available: install bubblewrap 0.8 or newer "
                           "(apt install bubblewrap)")
