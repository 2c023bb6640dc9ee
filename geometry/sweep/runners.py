"""Runners: send variant jobs to worker processes and hand each finished row back, as it comes, to the caller.

Both runners take ``tasks`` (key, keyword arguments of the job) and call ``on_done(key, row)`` in the calling
thread for every finished task. A KeyboardInterrupt (Ctrl-C, or raised by ``on_done``) stops the runner: workers
are stopped, the tasks in flight are dropped (not reported), and the exception propagates to the caller, which
keeps the rows it was handed.

Local pool (:func:`run_local`): ``workers`` processes, each running one job at a time sent over its own pipe. They
are started by ``forkserver`` (or ``spawn``), never by a plain fork: a fork after an OCCT boolean in the parent
deadlocks. The fork server is a fresh interpreter that imports the geometry package once (and runs no kernel
operation), so each worker forked from it starts in milliseconds instead of re-importing CadQuery for seconds. A pool of plain processes rather than ``concurrent.futures.ProcessPoolExecutor``, because a variant that hangs
inside OpenCascade cannot be interrupted from Python: here the parent kills just that worker once the job is
``timeout`` + ``grace`` seconds old, records a ``timeout`` row and starts a fresh worker, while the other workers go
on; a worker that crashes (a segfault in the kernel) becomes an ``error`` row the same way. (An executor can
neither kill one worker nor survive a dead one: it breaks the whole pool.) Workers ignore SIGINT, so Ctrl-C reaches
only the parent, which then stops them.

Dask (:func:`run_dask`): the same job function submitted to an existing ``dask.distributed`` cluster, at most as
many at a time as the cluster has worker threads, so a task starts about when it is submitted. The job's own
deadline (checked between flow steps) turns most overruns into ``timeout`` rows; a task still unfinished
``timeout`` + ``grace`` after submission is given up as a ``timeout`` row. Dask cannot kill a running task, so its
thread may stay busy: the runner then keeps one task fewer in flight.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait
from typing import Any

from ..core.params import ParameterError
from .worker import error_row, run_variant, timeout_row

Task = tuple[str, dict[str, Any]]
OnDone = Callable[[str, dict[str, Any]], None]

PRELOAD = ["geometry.sweep.worker", "geometry.api", "geometry.flows", "geometry.output.report"]
"""Modules the fork server imports once (no kernel operation runs there), so workers start in milliseconds: what
:func:`~geometry.sweep.worker.run_variant` imports when it builds (the API, the report's metrics), and no more."""
STARTUP_TIMEOUT = 300.0
"""Seconds a new worker process may take to import the geometry package."""


def default_grace(timeout: float) -> float:
    """Seconds past ``timeout`` before a job is stopped from outside: the job's own deadline comes first."""
    return min(60.0, max(2.0, 0.25 * timeout))


# ---------------------------------------------------------------------------------------------------------------
# Local pool


def _worker_main(conn, fn: Callable[..., dict]) -> None:
    """Worker process: ignore Ctrl-C, report ready (the geometry package and the kernel came with ``fn``'s module,
    imported once, before the first deadline starts), then run jobs from ``conn`` until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        conn.send(("ready", os.getpid()))
    except BaseException as e:  # noqa: BLE001
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        key, kwargs = msg
        try:
            row = fn(**kwargs)
        except BaseException as e:  # noqa: BLE001 - the job function should not raise; report it if it does
            row = error_row(f"{type(e).__name__}: {e}", 0.0)
        try:
            conn.send((key, row))
        except (EOFError, OSError, BrokenPipeError):
            return


class _Slot:
    """One worker process and the job it is running."""

    def __init__(self, ctx, fn):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, fn), daemon=True, name="pkgcad-sweep-worker")
        self.process.start()
        child.close()
        self.born = time.monotonic()
        self.ready = False
        self.key: str | None = None
        self.sent = 0.0

    def stop(self, hard: bool = False) -> None:
        try:
            if not hard and self.key is None and self.process.is_alive():
                self.conn.send(None)
                self.process.join(2.0)
        except (OSError, EOFError, BrokenPipeError):
            pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)
        self.conn.close()


def _death(process) -> str:
    code = process.exitcode
    if code is None:
        return "worker pipe closed"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"worker process died ({name})"
    return f"worker process died (exit code {code})"


def run_local(tasks: Iterable[Task], on_done: OnDone, *, workers: int | None = None, timeout: float = 600.0,
              grace: float | None = None, fn: Callable[..., dict] = run_variant,
              start_method: str = "forkserver") -> None:
    """Run ``tasks`` on a pool of ``workers`` processes (default: one per core); see the module doc."""
    if start_method not in ("forkserver", "spawn"):
        raise ValueError(f"start_method {start_method!r} must be 'forkserver' or 'spawn': a forked worker deadlocks "
                         "once the parent has run an OCCT boolean")
    queue = deque(tasks)
    if not queue:
        return
    ctx = mp.get_context(start_method)
    if start_method == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    n = max(1, min(workers or os.cpu_count() or 1, len(queue)))
    limit = timeout + (default_grace(timeout) if grace is None else grace)
    slots = [_Slot(ctx, fn) for _ in range(n)]
    failures, last_failure = 0, ""
    try:
        while queue or any(s.key is not None for s in slots):
            for s in slots:
                if s.ready and s.key is None and queue:
                    key, kwargs = queue.popleft()
                    try:
                        s.conn.send((key, kwargs))
                    except (OSError, EOFError):  # the worker died: found below, the job goes back in the queue
                        queue.appendleft((key, kwargs))
                        s.ready = False
                        continue
                    s.key, s.sent = key, time.monotonic()
            now = time.monotonic()
            due = [s.sent + limit - now for s in slots if s.key is not None]
            due += [s.born + STARTUP_TIMEOUT - now for s in slots if not s.ready]
            wait_for = min([1.0, *due]) if due else 1.0
            wait([s.conn for s in slots] + [s.process.sentinel for s in slots], max(wait_for, 0.01))
            for i, s in enumerate(slots):
                dead_reason = None
                try:
                    while s.conn.poll():
                        tag, payload = s.conn.recv()
                        if tag == "ready":
                            s.ready = True
                        elif tag == "failed":
                            dead_reason = f"worker failed to start: {payload}"
                        elif tag == s.key:
                            s.key = None
                            on_done(tag, payload)
                except (EOFError, OSError):
                    s.process.join(1.0)
                    dead_reason = dead_reason or _death(s.process)
                now = time.monotonic()
                if dead_reason is None and not s.process.is_alive():
                    dead_reason = _death(s.process)
                if dead_reason is None and s.key is not None and now - s.sent > limit:
                    key, elapsed = s.key, now - s.sent
                    s.key = None
                    s.stop(hard=True)
                    slots[i] = _Slot(ctx, fn)
                    on_done(key, timeout_row(f"killed after {elapsed:.1f} s: past the {timeout:g} s timeout", elapsed))
                    continue
                if dead_reason is None and not s.ready and now - s.born > STARTUP_TIMEOUT:
                    dead_reason = f"worker did not start within {STARTUP_TIMEOUT:g} s"
                if dead_reason is None:
                    continue
                key, elapsed = s.key, now - s.sent
                s.key = None
                s.stop(hard=True)
                if key is None or not s.ready:
                    failures += 1
                    last_failure = dead_reason
                    if failures > 2 * n + 2:
                        raise RuntimeError(f"sweep worker processes keep failing: {last_failure}. Workers are "
                                           "spawned: a script that runs a sweep must do so under "
                                           "`if __name__ == \"__main__\":`")
                slots[i] = _Slot(ctx, fn)
                if key is not None:
                    on_done(key, error_row(dead_reason, elapsed))
    finally:
        for s in slots:
            s.stop(hard=s.key is not None)


# ---------------------------------------------------------------------------------------------------------------
# Dask


def run_dask(tasks: Iterable[Task], on_done: OnDone, *, scheduler: Any, timeout: float = 600.0,
             grace: float | None = None, fn: Callable[..., dict] = run_variant) -> None:
    """Run ``tasks`` on the Dask cluster at ``scheduler`` (an address such as ``tcp://host:8786``, or a
    ``distributed.Client``); see the module doc. Exported files go to paths the workers must be able to write."""
    try:
        from distributed import Client
    except ImportError:
        raise ParameterError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    queue = deque(tasks)
    if not queue:
        return
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout=30, set_as_default=False) if own else scheduler
    except (OSError, TimeoutError, ValueError) as e:
        raise ParameterError(f"--scheduler {scheduler}: cannot reach the Dask scheduler: {e}") from None
    limit = timeout + (default_grace(timeout) if grace is None else grace)
    running: dict[Any, tuple[str, float]] = {}
    try:
        window = max(1, sum(client.nthreads().values()))
        while queue or running:
            while queue and len(running) < window:
                key, kwargs = queue.popleft()
                fut = client.submit(fn, **kwargs, key=f"pkgcad-sweep-{key[:24]}-{time.monotonic_ns()}", pure=False)
                running[fut] = (key, time.monotonic())
            done = [f for f in running if f.done()]
            if not done:
                time.sleep(0.02)
            for fut in done:
                key, t0 = running.pop(fut)
                if fut.status == "finished":
                    row = fut.result()
                else:
                    exc = fut.exception() if fut.status == "error" else None
                    row = error_row(f"dask task {fut.status}: {type(exc).__name__}: {exc}" if exc else
                                    f"dask task {fut.status}", time.monotonic() - t0)
                fut.release()
                on_done(key, row)
            now = time.monotonic()
            for fut, (key, t0) in list(running.items()):
                if now - t0 > limit:
                    running.pop(fut)
                    fut.cancel()
                    window = max(1, window - 1)
                    on_done(key, timeout_row(f"given up after {now - t0:.1f} s: past the {timeout:g} s timeout "
                                             "(the Dask worker thread may still be busy)", now - t0))
    finally:
        for fut in running:
            fut.cancel()
        if own:
            client.close()
