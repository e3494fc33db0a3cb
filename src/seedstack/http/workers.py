"""Several worker processes on one port, each with its own ``SO_REUSEPORT`` listening socket.

With one shared listening socket (uvicorn's ``--workers``), every worker wakes on each new connection
and the first one accepts everything that is queued: a client that opens 32 keep-alive connections at
once ends up with most of them on one worker, and the others idle. With one socket per worker bound
with ``SO_REUSEPORT``, the kernel spreads connections over the workers by a hash of their addresses.

The supervisor binds every socket before starting any worker (so the port is ours, or we fail at
once), restarts a worker that dies on the same socket (a socket without a worker would strand the
connections hashed to it), and on SIGINT/SIGTERM sends SIGTERM to every worker and waits for each to
drain (in-flight requests, then its recorder).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

__all__ = ["reuseport_supported", "run_workers"]

log = logging.getLogger("seedstack.http")


def reuseport_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and os.name == "posix"


def _bind(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _worker(app: str, options: dict[str, Any], sock: socket.socket) -> None:
    config = uvicorn.Config(app, factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(app: str, *, workers: int, host: str, port: int, drain_timeout_s: float, **options: Any) -> None:
    """Serve ``app`` (an import string of an app factory) from ``workers`` processes until SIGINT/SIGTERM."""
    backlog = options.get("backlog", 2048)
    sockets = [_bind(host, port, backlog)]
    port = sockets[0].getsockname()[1]  # port 0: the first bind picks, the others share it
    sockets += [_bind(host, port, backlog) for _ in range(workers - 1)]
    spawn = multiprocessing.get_context("spawn")
    procs: list[Any] = [None] * workers
    stop = threading.Event()

    def start(i: int) -> None:
        proc = spawn.Process(target=_worker, args=(app, options, sockets[i]), name=f"seedstack-worker-{i}")
        proc.start()
        procs[i] = proc

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for i in range(workers):
            start(i)
        log.info("serving on http://%s:%d with %d workers (SO_REUSEPORT)", host, port, workers)
        while not stop.wait(0.5):
            for i, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                if proc.exitcode == STARTUP_FAILURE:
                    log.error("worker %d failed to start; stopping", i)
                    stop.set()
                    break
                log.warning("worker %d (pid %s) exited with code %s; starting a new one", i, proc.pid, proc.exitcode)
                start(i)
    finally:
        for proc in procs:
            if proc is not None and proc.is_alive():
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + drain_timeout_s + 15
        for proc in procs:
            if proc is None:
                continue
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                log.error("worker pid %s did not stop in time; killing it", proc.pid)
                proc.kill()
                proc.join(5)
        for s in sockets:
            s.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
