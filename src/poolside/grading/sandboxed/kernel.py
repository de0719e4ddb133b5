"""The student's process: ``python -m sandboxed.kernel IN_FD OUT_FD``.

Runs the cells :mod:`.execute` sends, one at a time, in IPython's shell (magics, ``!`` commands,
the display of a cell's last value, ``display()``, inline figures), and answers each with the
cell's outputs in the notebook's format. It is what a Jupyter kernel does for a notebook run
top to bottom, without the kernel's messaging (ZeroMQ, a client, heartbeats): grading a notebook
then holds little more memory than running its code as a script.

Requests and answers are frames: 8 bytes of length, then that many bytes of JSON. A request is
``{"seq": int, "code": str, "silent": bool}`` (silent: not counted in the cell numbers); an
answer is ``{"seq": int, "outputs": [...], "execution_count": int | None, "status": "ok" |
"error"}``, its ``seq`` the request's. The student's
code runs in this process and can write anything to ``OUT_FD``: :mod:`.execute` reads it as
the student's own claim about its outputs, and the grader never takes it for more.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import struct
import sys

__all__ = ["ChecksOff", "main", "read_frame", "write_frame"]

HEADER = struct.Struct(">Q")
#: The matplotlib backend cells get, whatever they ask for (``%matplotlib inline`` included).
BACKEND = "module://sandboxed.figures"
#: Characters of one cell's outputs kept, and how many outputs (the rest is dropped with a
#: note): an honest cell stays far below, and the answer stays far below what the executor
#: reads (execute.MAX_ANSWER).
MAX_CELL_CHARS = 1_000_000
MAX_OUTPUTS = 500
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


class _Cell:
    """The outputs of the cell running now, in the order they came, within its budget."""

    outputs: list = []
    chunks: dict = {}  # id of a stream output -> its text's pieces (joined when answering)
    used = 0
    cut = False

    @classmethod
    def start(cls) -> None:
        cls.outputs, cls.chunks, cls.used, cls.cut = [], {}, 0, False

    @classmethod
    def _room(cls, size: int) -> int:
        """How much of ``size`` more characters fits (noting that the cell's output is cut
        when not all of it does)."""
        room = max(0, MAX_CELL_CHARS - cls.used)
        if size > room or len(cls.outputs) >= MAX_OUTPUTS:
            cls.cut = True
        return room if len(cls.outputs) < MAX_OUTPUTS else 0

    @classmethod
    def stream(cls, name: str, text: str) -> None:
        size = min(len(text), cls._room(len(text)))
        if size <= 0:
            return
        cls.used += size
        last = cls.outputs[-1] if cls.outputs else None
        if last is not None and last.get("output_type") == "stream" and last["name"] == name \
                and id(last) in cls.chunks:
            cls.chunks[id(last)].append(text[:size])
            return
        output = {"output_type": "stream", "name": name, "text": ""}
        cls.outputs.append(output)
        cls.chunks[id(output)] = [text[:size]]

    @classmethod
    def add(cls, output: dict) -> None:
        if output.get("output_type") == "error":  # always kept: feedback names the error
            if len(cls.outputs) < MAX_OUTPUTS + 10:
                cls.outputs.append(output)
            return
        size = sum(len(str(v)) for v in (output.get("data") or {}).values())
        if len(cls.outputs) >= MAX_OUTPUTS or cls._room(size) < size:
            return
        cls.used += size
        cls.outputs.append(output)

    @classmethod
    def finished(cls) -> list:
        for output in cls.outputs:
            if id(output) in cls.chunks:
                output["text"] = "".join(cls.chunks[id(output)])
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
                       "traceback": [str(s)[:10_000] for s in stb[:200]]})

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


def main(fd_in: int, fd_out: int) -> int:
    os.environ["MPLBACKEND"] = BACKEND
    shell = _shell()
    run_cell = shell.run_cell  # bound now: a cell that replaces the shell's does not stop it
    # An interrupt between cells is the grader's, for a cell that has just finished: ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        frame = read_frame(fd_in, 1 << 30)
        if frame is None:
            return 0
        request = json.loads(frame)
        _Cell.start()
        sys.stdout, sys.stderr = _Stream("stdout", 1), _Stream("stderr", 2)
        status, count = "error", None
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            result = run_cell(request["code"], store_history=not request.get("silent"),
                              silent=False)
            status = "ok" if result.success else "error"
            count = result.execution_count
        except KeyboardInterrupt:  # the interrupt came between the shell's own steps
            _Cell.outputs.append({"output_type": "error", "ename": "KeyboardInterrupt",
                                  "evalue": "", "traceback": []})
        except Exception as err:  # noqa: BLE001 - the shell itself broken by the cell
            _Cell.outputs.append({"output_type": "error", "ename": type(err).__name__[:200],
                                  "evalue": "the cell broke the kernel's shell",
                                  "traceback": []})
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        answer = {"seq": request.get("seq"), "execution_count": count, "status": status}
        try:
            body = json.dumps({**answer, "outputs": _Cell.finished()}, default=str
                              ).encode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - outputs JSON cannot carry
            body = json.dumps({**answer, "outputs": []}).encode()
        write_frame(fd_out, body)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
