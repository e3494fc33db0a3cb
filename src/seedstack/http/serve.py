"""Run an ASGI app with uvicorn on the fast stack (uvloop + httptools), TLS optional."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import uvicorn

from .asgi import ASGIApp

__all__ = ["serve"]


def serve(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    drain_timeout_s: float = 30.0,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    log_level: str = "warning",
) -> None:
    """Serve until SIGINT/SIGTERM; then stop accepting, let in-flight requests finish (up to
    ``drain_timeout_s``) and run the app's shutdown, which drains the recorder."""
    # The recorder and SQLite writer threads run Python code in bursts; a short GIL switch interval
    # keeps them from holding the event loop for the default 5 ms (a tail-latency cliff).
    sys.setswitchinterval(0.001)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = uvicorn.Config(
        app,
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
    uvicorn.Server(config).run()
