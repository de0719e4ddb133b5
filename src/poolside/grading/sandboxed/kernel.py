"""The student's process: ``python -m sandboxed.kernel IN_FD OUT_FD PARENT``.

Runs the cells :mod:`.execute` sends, one at a time, in IPython's shell (magics, ``!`` commands,
the display of a cell's last value, ``display()``; figures are listed, not drawn), and answers
each with the cell's outputs in the notebook's format. It is what a Jupyter kernel does for a
notebook run top to bottom, without the kernel's messaging (ZeroMQ, a client, heartbeats):
grading a notebook then holds little more memory than running its code as a script.

Requests and answers are frames: 8 bytes of length, then that many bytes of JSON. Once its
shell is up the kernel sends ``{"seq": 0, "ready": true}``; a request is ``{"seq": int,
"code": str}``, its answer ``{"seq": int, "outputs": [...], "execution_count": int | None}``.
The student's code runs in this process and can write anything to ``OUT_FD``: :mod:`.execute`
reads it as the student's own claim about its outputs, and the grader never takes it for more.
The kernel ends with ``PARENT`` (the executor), as a Jupyter kernel ends with its client.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import struct
import sys

__all__ = ["ChecksOff", "main"]

HEADER = struct.Struct(">Q")
#: The matplotlib backend cells get, whatever they ask for (``%matplotlib inline`` included).
BACKEND = "module://sandboxed.figures"
#: Characters of one cell's outputs kept (every field of every output counted), and how many
#: outputs: the rest is dropped with a note. JSON writes a character in at most 6 bytes, so an
#: answer stays within what the executor reads (execute.MAX_ANSWER).
MAX_CELL_CHARS = 1_000_000
MAX_OUTPUTS = 500
#: Errors are kept past the budget (feedback names them), this many per cell, each cut to
#: TRACEBACK_CHARS.
MAX_ERRORS, TRACEBACK_CHARS = 10, 20_000
CUT = "\n[... more output than the grader keeps: the rest was cut ...]\n"


def read_frame(fd: int, limit: int) -> bytes | None:
    """One frame from ``fd``; None at the end of the stream. Raises ValueError past ``limit``."""
    head = _read_exactly(fd, HEADER.size)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > limit:
        raise ValueError(f"a frame of {size} bytes")
    body = _read_exactly(fd, size)
    if body is None:
        raise ValueError("a frame cut short")
    return body


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, body: bytes) -> None:
    data = memoryview(HEADER.pack(len(body)) + body)
    while data:
        data = data[os.write(fd, data):]


class ChecksOff:
    """Otter's ``grader`` while grading: the public checks do not run (the hidden ones judge
    the work), so every call does nothing."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


def _plain(value):
    """What JSON can carry: images as base64 text, anything else unknown as its str."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _size(value) -> int:
    """Characters ``value`` takes in an answer."""
    try:
        return len(json.dumps(value, ensure_ascii=False, default=str))
    except Exception:  # noqa: BLE001 - nested past what JSON writes: never sent
        return MAX_CELL_CHARS + 1


class _Cell:
    """The outputs of the cell running now, in the order they came, within its budget. A
    stream output's text is kept as its pieces until the cell ends."""

    outputs: list = []
    used = 0
    errors = 0
    cut = False

    @classmethod
    def start(cls) -> None:
        cls.outputs, cls.used, cls.errors, cls.cut = [], 0, 0, False

    @classmethod
    def _fits(cls, size: int) -> bool:
        """Whether ``size`` more characters in one more output fit, noting a cut if not."""
        fits = len(cls.outputs) < MAX_OUTPUTS and cls.used + size <= MAX_CELL_CHARS
        cls.cut = cls.cut or not fits
        return fits

    @classmethod
    def stream(cls, name: str, text: str) -> None:
        last = cls.outputs[-1] if cls.outputs else None
        joins = last is not None and last["output_type"] == "stream" and last["name"] == name
        room = max(0, MAX_CELL_CHARS - cls.used)
        if len(text) > room or (not joins and not cls._fits(0)):
            cls.cut = True
            text = text[:room] if joins or len(cls.outputs) < MAX_OUTPUTS else ""
        if not text:
            return
        cls.used += len(text)
        if joins:
            last["text"].append(text)
        else:
            cls.outputs.append({"output_type": "stream", "name": name, "text": [text]})

    @classmethod
    def add(cls, output: dict) -> None:
        if output["output_type"] == "error":  # kept past the budget: feedback names the error
            if cls.errors < MAX_ERRORS:
                cls.errors += 1
                cls.used += _size(output)
                cls.outputs.append(output)
            return
        size = _size(output)
        if cls._fits(size):
            cls.used += size
            cls.outputs.append(output)

    @classmethod
    def finished(cls) -> list:
        for output in cls.outputs:
            if output["output_type"] == "stream":
                output["text"] = "".join(output["text"])
        if cls.cut:
            cls.outputs.append({"output_type": "stream", "name": "stderr", "text": CUT})
        return cls.outputs


class _Bytes:
    """``sys.stdout.buffer``: bytes written to it are the stream's text."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, data) -> int:
        self._stream.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass


class _Stream:
    """``sys.stdout``/``sys.stderr`` while cells run: text goes into the cell's outputs."""

    encoding, errors = "utf-8", "replace"

    def __init__(self, name: str, fd: int):
        self.name, self._fd = name, fd
        self.buffer = _Bytes(self)

    def write(self, text) -> int:
        text = text if isinstance(text, str) else str(text)
        if text:
            _Cell.stream(self.name, text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # libraries that ask get the real descriptor (it goes nowhere)
        return self._fd

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


def _shell():
    """IPython's shell, with its displays and tracebacks going into the cell's outputs."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False,
                    **kwargs):
            _Cell.add({"output_type": "display_data", "data": _plain(data),
                       "metadata": _plain(metadata or {})})

        def clear_output(self, wait=False):
            _Cell.start()

    class Hook(DisplayHook):
        def start_displayhook(self):
            self._result = {"output_type": "execute_result", "data": {}, "metadata": {},
                            "execution_count": self.prompt_count}

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self._result["data"] = _plain(format_dict)
            self._result["metadata"] = _plain(md_dict or {})

        def finish_displayhook(self):
            if self._result["data"]:
                _Cell.add(self._result)

    class Shell(InteractiveShell):
        def _showtraceback(self, etype, evalue, stb):
            try:
                ename, text = getattr(etype, "__name__", str(etype)), str(evalue)
            except Exception:  # noqa: BLE001 - an exception whose str raises
                ename, text = "Exception", ""
            _Cell.add({"output_type": "error", "ename": ename[:200], "evalue": text[:10_000],
                       "traceback": _cut_traceback([str(s)[:5_000] for s in stb[:400]])})

        def ask_exit(self):  # exit() and quit() in a cell: the notebook goes on, as in Jupyter
            pass

        def enable_gui(self, gui=None):  # no event loop here
            pass

        def enable_matplotlib(self, gui=None):
            from matplotlib import pyplot

            pyplot.switch_backend(BACKEND)
            return gui, BACKEND

    shell = Shell.instance(display_pub_class=Publisher, displayhook_class=Hook,
                           colors="nocolor")
    shell.events.register("post_run_cell", _close_figures)
    return shell


def _cut_traceback(entries: list[str]) -> list[str]:
    """A traceback within TRACEBACK_CHARS: its first entries (the cell's own line, which
    feedback quotes) and its last (where it was raised)."""
    if sum(map(len, entries)) <= TRACEBACK_CHARS:
        return entries
    half = TRACEBACK_CHARS // 2
    head, tail, used = [], [], 0
    for entry in entries:
        if used + len(entry) > half:
            break
        head.append(entry)
        used += len(entry)
    for entry in reversed(entries[len(head):]):
        if used + len(entry) > TRACEBACK_CHARS:
            break
        tail.insert(0, entry)
        used += len(entry)
    return head + ["[... part of the traceback cut by the grader ...]"] + tail


def _describe(figure) -> str:
    """A figure in words, for the executed notebook (grading does not draw it)."""
    parts = []
    for ax in figure.get_axes()[:6]:
        words = [f"{what} {text!r}" for what, text in (
            ("title", ax.get_title()), ("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if text]
        parts.append(", ".join(words) or "no title or labels")
    return (f"{figure!r} (made but not drawn while grading; the checks read its Axes): "
            + "; ".join(parts))[:1000]


def _close_figures(result=None) -> None:
    """Close the cell's figures, listing each as Jupyter lists a figure it cannot show."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    try:
        for number in pyplot.get_fignums():
            figure = pyplot.figure(number)
            _Cell.add({"output_type": "display_data",
                       "data": {"text/plain": _describe(figure)}, "metadata": {}})
        pyplot.close("all")
    except Exception:  # noqa: BLE001 - the student's pyplot, however it was changed
        pass


def _end_with(parent: int) -> None:
    """End this process when ``parent`` does (the executor, killed by the grader's time
    limit or by its own parent), so that no cell runs on unsupervised."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def main(fd_in: int, fd_out: int, parent: int) -> int:
    # An interrupt while the shell starts, or between cells, is the grader's, for a cell that
    # has just finished: ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with(parent)
    os.environ["MPLBACKEND"] = BACKEND
    shell = _shell()
    run_cell = shell.run_cell  # bound now: a cell that replaces the shell's does not stop it
    write_frame(fd_out, json.dumps({"seq": 0, "ready": True}).encode())
    while True:
        frame = read_frame(fd_in, 1 << 30)
        if frame is None:
            return 0
        request = json.loads(frame)
        _Cell.start()
        sys.stdout, sys.stderr = _Stream("stdout", 1), _Stream("stderr", 2)
        count = None
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            count = run_cell(request["code"], store_history=True, silent=False).execution_count
        except KeyboardInterrupt:  # the interrupt came between the shell's own steps
            _Cell.outputs.append({"output_type": "error", "ename": "KeyboardInterrupt",
                                  "evalue": "", "traceback": []})
        except Exception as err:  # noqa: BLE001 - the shell itself broken by the cell
            _Cell.outputs.append({"output_type": "error", "ename": type(err).__name__[:200],
                                  "evalue": "the cell broke the kernel's shell",
                                  "traceback": []})
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        answer = {"seq": request.get("seq"), "execution_count": count}
        try:
            body = json.dumps({**answer, "outputs": _Cell.finished()}, default=str,
                              ensure_ascii=False).encode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - outputs JSON cannot carry
            body = json.dumps(answer).encode()
        write_frame(fd_out, body)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
