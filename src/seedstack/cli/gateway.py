"""``seedstack up`` (the gateway) and ``seedstack simulate`` (a standalone simulator endpoint)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from ..config import SimulatorConfig, load_settings
from ..gateway.keys import count_keys, create_key
from ..http.app import create_app
from ..http.asgi import ASGIApp
from ..http.serve import serve
from ..http.simulator_app import create_simulator_app
from ..store import open_store
from ._common import ConfigOption, console, friendly_errors

__all__ = ["register"]


def _write_key_file(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    os.chmod(path, 0o600)


@friendly_errors
def up(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="bind address (default from config: 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from config: 8080)")] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate: serve HTTPS")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key for --tls-cert")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (default from config: 1)")] = None,
) -> None:
    """Start the gateway (with no config: SQLite in ./.seedstack and a simulator model named 'demo')."""
    server: dict[str, object] = {}
    if host is not None:
        server["host"] = host
    if port is not None:
        server["port"] = port
    if workers is not None:
        server["workers"] = workers
    if tls_cert is not None or tls_key is not None:
        server.update(tls_cert=tls_cert, tls_key=tls_key)
    settings = load_settings(config, **({"server": server} if server else {}))
    s = settings.server
    store = open_store(settings.store_url)
    if count_keys(store) == 0:
        plaintext, _ = create_key(store, role="admin", name="admin")
        key_file = settings.home / "admin.key"
        _write_key_file(key_file, plaintext)
        console.print(
            Panel.fit(
                f"[bold]{plaintext}[/]\n\nThis admin key is shown once. A copy is in {key_file} (mode 600).\n"
                "Create app keys with: seedstack keys create --role app --models demo",
                title="admin API key",
                border_style="yellow",
            )
        )
    scheme = "https" if s.tls_cert else "http"
    console.print(
        f"seedstack gateway on {scheme}://{s.host}:{s.port}/v1  ·  models: {', '.join(settings.models)}"
        f"  ·  store: {settings.store_url.split('@')[-1]}"
    )
    console.print(
        f"dashboard {scheme}://{s.host}:{s.port}/ui/  ·  metrics /metrics  ·  Ctrl-C or SIGTERM drains and stops"
    )
    target: ASGIApp | str
    if s.workers > 1:
        store.close()  # each worker process opens its own
        if settings.config_path is not None:
            os.environ["SEEDSTACK_CONFIG"] = str(settings.config_path.resolve())
        target = "seedstack.http.app:app_from_env"
    else:
        target = create_app(settings, store=store)
    serve(
        target,
        host=s.host,
        port=s.port,
        drain_timeout_s=s.drain_timeout_s,
        tls_cert=s.tls_cert,
        tls_key=s.tls_key,
        workers=s.workers,
    )


@friendly_errors
def simulate(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    model: Annotated[str, typer.Option(help="model name the endpoint reports")] = "simulator",
    ttft_ms: Annotated[float, typer.Option(help="base time to first token")] = 20.0,
    ttft_per_prompt_token_ms: Annotated[float, typer.Option(help="prefill cost per prompt token")] = 0.02,
    ttft_per_running_request_ms: Annotated[float, typer.Option(help="load cost per running request")] = 0.5,
    itl_ms: Annotated[float, typer.Option(help="inter-token time")] = 5.0,
    max_concurrency: Annotated[int, typer.Option(help="requests beyond this queue")] = 64,
    default_max_tokens: Annotated[int, typer.Option(help="output length when a request sets none")] = 32,
) -> None:
    """Serve the simulator as a standalone OpenAI-compatible endpoint (clearly simulated, no GPU)."""
    cfg = SimulatorConfig(
        ttft_ms=ttft_ms,
        ttft_per_prompt_token_ms=ttft_per_prompt_token_ms,
        ttft_per_running_request_ms=ttft_per_running_request_ms,
        itl_ms=itl_ms,
        max_concurrency=max_concurrency,
        default_max_tokens=default_max_tokens,
    )
    console.print(f"simulated OpenAI-compatible endpoint on http://{host}:{port}/v1 (model '{model}')")
    serve(create_simulator_app(cfg, model), host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("simulate")(simulate)
