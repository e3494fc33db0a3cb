"""The simulator served over HTTP (``seedstack simulate``): an OpenAI-compatible endpoint with a
vLLM-like latency model, for benchmarks and for trying the gateway's openai provider offline."""

from __future__ import annotations

import orjson

from ..config import SimulatorConfig
from ..errors import InvalidRequestError, SeedstackError
from ..gateway.responses import BodyResponse, StreamResponse, error_response, json_response
from ..gateway.validate import parse_body, validate
from ..providers.simulator import SimulatorEngine
from .asgi import Receive, Scope, Send, read_body, send_body, send_stream

__all__ = ["create_simulator_app"]

_PATHS = {"/v1/chat/completions": "chat", "/v1/completions": "completions", "/v1/embeddings": "embeddings"}


class SimulatorApp:
    def __init__(self, config: SimulatorConfig, model: str) -> None:
        self.config = config
        self.model = model
        self.engine: SimulatorEngine | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    self.engine = SimulatorEngine(self.config, self.model)
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if self.engine is None:
            self.engine = SimulatorEngine(self.config, self.model)
        path = scope["path"]
        if path == "/v1/models":
            await send_body(
                send,
                json_response(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {
                                "id": self.model,
                                "object": "model",
                                "created": 0,
                                "owned_by": "seedstack-simulator",
                            }
                        ],
                    },
                ),
            )
            return
        if path == "/healthz":
            await send_body(send, json_response(200, {"status": "ok", "running": self.engine.running}))
            return
        endpoint = _PATHS.get(path)
        if endpoint is None:
            await send_body(send, json_response(404, {"error": {"message": f"no route {path}"}}))
            return
        try:
            body = parse_body(await read_body(receive, 64 * 1024 * 1024, None))
            validate(endpoint, body)
            mt = body.get("max_tokens")
            if mt is not None and mt > 32768:
                raise InvalidRequestError("max_tokens must be at most 32768", param="max_tokens")
        except SeedstackError as exc:
            await send_body(send, error_response(exc))
            return
        if body.get("stream") and endpoint != "embeddings":
            stream = self.engine.stream(endpoint, body)
            await send_stream(send, StreamResponse(stream, [(b"content-type", b"text/event-stream")]))
            return
        data = await self.engine.complete(endpoint, body)
        await send_body(send, BodyResponse(200, orjson.dumps(data), [(b"content-type", b"application/json")]))


def create_simulator_app(config: SimulatorConfig, model: str = "simulator") -> SimulatorApp:
    return SimulatorApp(config, model)
