"""A long-lived child Python process that runs one call at a time, isolated from its parent.

Builders and runners execute candidates here, so a kernel that segfaults kills only the child
(the parent reports "crashed (SIGSEGV)" and starts a fresh child on the next call), and a call
that runs past its timeout is killed with its child. Keeping the child alive between calls
avoids paying a Python start-up per candidate.

Protocol: length-prefixed pickles over the child's stdin/stdout; the child moves its own fd 1
onto stderr first, so a kernel that prints cannot corrupt the channel. Functions travel with
cloudpickle (by reference for importable code, by value for closures and notebook code).
The child exits when its stdin closes, i.e. when the parent dies.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback

import cloudpickle

_HEADER = struct.Struct("<Q")


class WorkerError(RuntimeError):
    """The call could not complete in the child (crash, timeout, or an exception it raised)."""


class WorkerCrashed(WorkerError):
    """The child process died during the call (e.g. a segfault)."""


class WorkerTimeout(WorkerError):
    """The call ran past its timeout; the child was killed."""


class RemoteError(WorkerError):
    """The called function raised; `remote_traceback` holds the child's traceback text."""

    def __init__(self, message: str, remote_traceback: str = "", exc_type: str = "Exception"):
        super().__init__(message)
        self.remote_traceback = remote_traceback
        self.exc_type = exc_type


def _dumps(obj) -> bytes:
    return cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def signal_name(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


class SubprocessWorker:
    """A respawning child process. `call(fn, *args, timeout=..)` runs `fn(*args)` there.

    env: extra environment variables for the child (e.g. OMP_NUM_THREADS).
    initializer: a function run in each fresh child before its first call.
    `generation` counts the children started, so callers can tell a restarted child apart.
    """

    def __init__(self, env: dict | None = None, initializer=None, stderr=None):
        self.env = dict(env or {})
        self.initializer = initializer
        self.stderr = stderr
        self.generation = 0
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    # -- process management ------------------------------------------------------------------
    def _spawn(self) -> None:
        env = dict(os.environ)
        env.update({k: str(v) for k, v in self.env.items()})
        paths = [p for p in sys.path if p and os.path.isdir(p)]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths + env.get("PYTHONPATH", "").split(os.pathsep)))
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from raytune_ms.process.subprocess_worker import _child_main; _child_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            close_fds=True,
        )
        self.generation += 1
        if self.initializer is not None:
            self._roundtrip(self.initializer, (), {}, timeout=None)

    def ensure_started(self) -> int:
        """Start a child if none is alive; returns the current generation."""
        with self._lock:
            if not self.alive():
                self.kill()
                self._spawn()
            return self.generation

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """Kill the child now (the next call starts a fresh one)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            self.kill()

    def __del__(self):
        try:
            self.kill()
        except Exception:
            pass

    def __getstate__(self):
        return {"env": self.env, "initializer": self.initializer, "stderr": None}

    def __setstate__(self, state):
        self.__init__(**state)

    # -- calls -------------------------------------------------------------------------------
    def call(self, fn, *args, timeout: float | None = None, **kwargs):
        """Run fn(*args, **kwargs) in the child; the timeout counts from when the child receives
        the call, so it covers execution only."""
        with self._lock:
            if not self.alive():
                self.kill()
                self._spawn()
            return self._roundtrip(fn, args, kwargs, timeout)

    def _roundtrip(self, fn, args, kwargs, timeout):
        payload = _dumps((fn, args, kwargs))
        proc = self._proc
        try:
            proc.stdin.write(_HEADER.pack(len(payload)) + payload)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._died()
        deadline = None if timeout is None else time.monotonic() + timeout
        header = self._read(_HEADER.size, deadline, timeout)
        (size,) = _HEADER.unpack(header)
        status, *rest = pickle.loads(self._read(size, deadline, timeout))
        if status == "ok":
            return rest[0]
        exc_type, message, tb = rest
        raise RemoteError(f"{exc_type}: {message}", tb, exc_type)

    def _read(self, n: int, deadline, timeout) -> bytes:
        fd = self._proc.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                self.kill()
                raise WorkerTimeout(f"timed out after {timeout:g} s (the child was killed)")
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                self._died()
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _died(self):
        proc = self._proc
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.kill()
        raise WorkerCrashed(f"the worker process crashed ({signal_name(code)})")


# ---------------------------------------------------------------------------------- child side


def _read_exact(stream, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _child_main() -> None:
    # Ctrl-C reaches the whole process group: the parent decides when this child ends (it
    # stops the run and kills its workers), so the child does not die mid-request on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    while True:
        header = _read_exact(requests, _HEADER.size)
        if header is None:
            return
        (size,) = _HEADER.unpack(header)
        payload = _read_exact(requests, size)
        if payload is None:
            return
        try:
            fn, args, kwargs = pickle.loads(payload)
            reply = ("ok", fn(*args, **kwargs))
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as err:  # report everything; the parent decides
            reply = ("error", type(err).__name__, str(err), traceback.format_exc())
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        channel.write(_HEADER.pack(len(data)) + data)
        channel.flush()
