"""A writer run in a forked copy of this process while the caller goes on, so a build uses its second core: the
package STEP (OCCT's transfer and the text writers, one core) is written while the meshes, STL, GLB, HTML viewer
and manifest are made beside it (:func:`geometry.output.design.write_design`).

The child is a ``fork`` of the caller: it sees the stack as it is, nothing is pickled on the way in, and it leaves
through ``os._exit`` (no atexit handlers, no flushing of the caller's buffers). Its return value or exception comes
back pickled through a pipe; one that does not survive pickling (tried in the child) comes back as a RuntimeError
holding its traceback text. Where forking brings nothing (one usable core) or is impossible (no ``os.fork``), the writer runs in the
caller, when waited for, with the same result."""

from __future__ import annotations

import os
import pickle
import signal
import traceback
from collections.abc import Callable
from typing import Any


def cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class Pending:
    """A call started by :func:`start`: :meth:`wait` for its result (its exception raised here), or :meth:`stop`
    it."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, forked: bool) -> None:
        self._call = (fn, args, kwargs)
        self._pid = self._read = None
        if forked:
            self._read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(self._read)
                _child(write, fn, args, kwargs)
            os.close(write)
            self._pid = pid

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs or waits to be reaped; None for a call kept in the caller."""
        return self._pid

    @property
    def forked(self) -> bool:
        """Whether the call runs in a child process."""
        return self._pid is not None

    def wait(self) -> Any:
        """The call's return value; its exception is raised here."""
        if self._pid is None:
            fn, args, kwargs = self._call
            return fn(*args, **kwargs)
        with os.fdopen(self._read, "rb") as pipe:
            self._read = None
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if not data:
            raise RuntimeError(f"the background writer {self._call[0].__name__} ended without a result "
                               f"(wait status {status})")
        kind, value = pickle.loads(data)
        if kind == "error":
            raise value
        return value

    def stop(self) -> None:
        """Kill a forked call and reap it (the caller failed, or was interrupted while waiting); nothing once
        :meth:`wait` has returned, or for a call kept to run in the caller."""
        if self._pid is None:
            return
        os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)
        if self._read is not None:
            os.close(self._read)
        self._pid = self._read = None


def _child(write: int, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        try:
            out: tuple = ("value", fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 (every failure goes back to the caller)
            out = ("error", e)
        try:
            data = pickle.dumps(out)
            pickle.loads(data)
        except Exception:  # noqa: BLE001 (a result or exception that does not pickle, or not back)
            text = "".join(traceback.format_exception(out[1])) if out[0] == "error" else repr(out[1])
            data = pickle.dumps(("error", RuntimeError(f"{fn.__name__} in the background writer: {text}")))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def start(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Pending:
    """``fn(*args, **kwargs)`` started in a forked child when this process may use two cores or more, else kept
    to run in the caller at :meth:`Pending.wait`."""
    return Pending(fn, args, kwargs, forked=hasattr(os, "fork") and cores() > 1)
