"""The student's process: ``python -m sandboxed.kernel IN_FD OUT_FD``.

Runs the cells :mod:`.execute` sends, one at a time, in IPython's shell (magics, ``!`` commands,
the display of a cell's last value, ``display()``, inline figures), and answers each with the
cell's outputs in the notebook's format. It is what a Jupyter kernel does for a notebook run
top to bottom, without the kernel's messaging (ZeroMQ, a client, heartbeats): grading a notebook
then holds little more memory than running its code as a script.

Requests and answers are frames: 8 bytes of length, then that many bytes of JSON. A request is
``{"code": str, "silent": bool}`` (silent: not counted in the cell numbers); an answer is
``{"outputs": [...], "execution_count": int | None, "status": "ok" | "error"}``. The student's
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
#: Characters of one cell's printed output kept (the rest is dropped with a note).
MAX_STREAM = 200_000


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
    """The outputs of the cell running now, in the order they came."""

    outputs: list = []

    @classmethod
    def stream(cls, name: str, text: str) -> None:
        last = cls.outputs[-1] if cls.outputs else None
        if last is not None and last.get("output_type") == "stream" and last["name"] == name:
            if len(last["text"]) < MAX_STREAM:
                last["text"] += text
                if len(last["text"]) >= MAX_STREAM:
                    last["text"] = last["text"][:MAX_STREAM] + "\n[... output cut ...]\n"
            return
        cls.outputs.append({"output_type": "stream", "name": name, "text": text[:MAX_STREAM]})


class _Stream:
    """``sys.stdout``/``sys.stderr`` while cells run: text goes into the cell's outputs."""

    encoding, errors = "utf-8", "replace"

    def __init__(self, name: str, fd: int):
        self.name, self._fd = name, fd

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
            _Cell.outputs.append({"output_type": "display_data", "data": _plain(data),
                                  "metadata": _plain(metadata or {})})

        def clear_output(self, wait=False):
            _Cell.outputs.clear()

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
                _Cell.outputs.append(self._result)

    class Shell(InteractiveShell):
        def _showtraceback(self, etype, evalue, stb):
            _Cell.outputs.append({"output_type": "error",
                                  "ename": getattr(etype, "__name__", str(etype)),
                                  "evalue": str(evalue), "traceback": [str(s) for s in stb]})

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


def _close_figures(result=None) -> None:
    """Close the cell's figures, listing each as Jupyter lists a figure it cannot show."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    try:
        for number in pyplot.get_fignums():
            figure = pyplot.figure(number)
            _Cell.outputs.append({"output_type": "display_data",
                                  "data": {"text/plain": repr(figure)}, "metadata": {}})
        pyplot.close("all")
    except Exception:  # noqa: BLE001 - the student's pyplot, however it was changed
        pass


def main(fd_in: int, fd_out: int) -> int:
    os.environ["MPLBACKEND"] = BACKEND
    shell = _shell()
    sys.stdout, sys.stderr = _Stream("stdout", 1), _Stream("stderr", 2)
    # An interrupt between cells is the grader's, for a cell that has just finished: ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        frame = read_frame(fd_in, 1 << 30)
        if frame is None:
            return 0
        request = json.loads(frame)
        _Cell.outputs = []
        sys.stdout, sys.stderr = _Stream("stdout", 1), _Stream("stderr", 2)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            result = shell.run_cell(request["code"], store_history=not request.get("silent"),
                                    silent=False)
            status = "ok" if result.success else "error"
            count = result.execution_count
        except KeyboardInterrupt:  # the interrupt came between the shell's own steps
            _Cell.outputs.append({"output_type": "error", "ename": "KeyboardInterrupt",
                                  "evalue": "", "traceback": []})
            status, count = "error", None
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        answer = {"outputs": _Cell.outputs, "execution_count": count, "status": status}
        try:
            body = json.dumps(answer, default=str).encode("utf-8", "replace")
        except (TypeError, ValueError, RecursionError):
            body = json.dumps({"outputs": [], "execution_count": count, "status": status}
                              ).encode()
        write_frame(fd_out, body)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
