"""Run an ASGI app with uvicorn on the fast stack (uvloop + httptools), TLS optional."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from .asgi import ASGIApp
from .workers import reuseport_supported, run_workers

__all__ = ["serve"]


def serve(
    app: ASGIApp | str,
    *,
    host: str,
    port: int,
    drain_timeout_s: float = 30.0,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    log_level: str = "warning",
    workers: int = 1,
) -> None:
    """Serve until SIGINT/SIGTERM; then stop accepting, let in-flight requests finish (up to
    ``drain_timeout_s``) and run the app's shutdown, which drains the recorder.

    With ``workers > 1``, ``app`` is an import string of an app factory, run by that many processes
    on the one port, each with its own ``SO_REUSEPORT`` socket where the OS has it (see ``workers``),
    each draining on SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = dict(
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level=log_level,
        timeout_graceful_shutdown=int(drain_timeout_s) or None,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        backlog=4096,
        timeout_keep_alive=30,
        proxy_headers=False,
        server_header=False,
    )
    if workers > 1 and isinstance(app, str) and reuseport_supported():
        run_workers(app, workers=workers, drain_timeout_s=drain_timeout_s, **options)  # type: ignore[arg-type]
    elif workers > 1:
        uvicorn.run(app, factory=True, workers=workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.Server(uvicorn.Config(app, **options)).run()  # type: ignore[arg-type]
