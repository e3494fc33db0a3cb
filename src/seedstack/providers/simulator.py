"""The simulator: a local OpenAI-compatible backend with a vLLM-like latency model.

It exists for demos, tests and benchmarks, and every record it produces is labelled simulated (its
cost is 0 unless a price is configured). Latency model, per request:

    TTFT = ttft_ms + ttft_per_prompt_token_ms × prompt_tokens + ttft_per_running_request_ms × running
    then one token every itl_ms; at most max_concurrency requests run, the rest queue (queueing adds
    to TTFT, as in a real server).

Tokens are counted with a cheap deterministic rule (about 4 characters per token for prompts, one
word per token for generated text), and the text is a deterministic function of the prompt.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..config import SimulatorConfig
from .base import Provider, ProviderHTTPError, UpstreamResponse, UpstreamStream

__all__ = ["SimulatorEngine", "SimulatorProvider", "count_prompt_tokens"]

_WORDS = (
    "the a model answer request token latency cost data guard seed stack serve batch cache quick "
    "result value system user reply stream chunk queue window budget trace record sample metric"
).split()


def count_prompt_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _prompt_text(endpoint: str, body: dict[str, Any]) -> str:
    if endpoint == "chat":
        parts = []
        for m in body.get("messages") or ():
            content = m.get("content") if isinstance(m, dict) else None
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
        return "\n".join(parts)
    prompt = body.get("prompt", "")
    return prompt if isinstance(prompt, str) else " ".join(map(str, prompt))


def _last_user(body: dict[str, Any]) -> str | None:
    for m in reversed(body.get("messages") or ()):
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
            return str(m["content"])
    return None


class SimulatorEngine:
    """The latency model and the text generator, shared by the in-process provider and the HTTP server."""

    def __init__(self, config: SimulatorConfig, model: str = "simulator") -> None:
        self.config = config
        self.model = model
        self.running = 0
        self._slots = asyncio.Semaphore(config.max_concurrency)

    def _reply_words(self, endpoint: str, body: dict[str, Any], prompt: str) -> list[str]:
        scripted = self.config.replies.get(_last_user(body) or "") if endpoint == "chat" else None
        if scripted is not None:
            return scripted.split(" ")
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens") or self.config.default_max_tokens
        n = max(1, int(max_tokens))
        seed = hashlib.blake2b(prompt.encode("utf-8", "replace"), digest_size=8).digest()
        return [_WORDS[(seed[i % 8] + i * 7) % len(_WORDS)] for i in range(n)]

    def _ttft_s(self, prompt_tokens: int) -> float:
        c = self.config
        return (
            c.ttft_ms + c.ttft_per_prompt_token_ms * prompt_tokens + c.ttft_per_running_request_ms * self.running
        ) / 1000

    async def generate(self, endpoint: str, body: dict[str, Any]) -> AsyncIterator[tuple[str, int, int]]:
        """Yield (text piece, prompt_tokens, index) on the model's schedule; holds a concurrency slot."""
        prompt = _prompt_text(endpoint, body)
        prompt_tokens = count_prompt_tokens(prompt)
        words = self._reply_words(endpoint, body, prompt)
        async with self._slots:
            self.running += 1
            try:
                start = time.perf_counter()
                first = self._ttft_s(prompt_tokens)
                itl = self.config.itl_ms / 1000
                for i, word in enumerate(words):
                    due = start + first + i * itl
                    delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    yield (word if i == 0 else " " + word), prompt_tokens, i
            finally:
                self.running -= 1

    def _ids(self, body: dict[str, Any]) -> tuple[str, int]:
        return "sim-" + hashlib.blake2b(
            orjson.dumps(body, option=orjson.OPT_SORT_KEYS), digest_size=6
        ).hexdigest(), int(time.time())

    async def complete(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        if endpoint == "embeddings":
            return self.embed(body)
        pieces: list[str] = []
        prompt_tokens = 0
        async for piece, n_prompt, _ in self.generate(endpoint, body):
            pieces.append(piece)
            prompt_tokens = n_prompt
        text = "".join(pieces)
        rid, created = self._ids(body)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(pieces),
            "total_tokens": prompt_tokens + len(pieces),
        }
        finish = "length" if body.get("max_tokens") and len(pieces) >= int(body["max_tokens"]) else "stop"
        if endpoint == "chat":
            return {
                "id": "chatcmpl-" + rid,
                "object": "chat.completion",
                "created": created,
                "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
                "usage": usage,
                "system_fingerprint": "seedstack-simulator",
            }
        return {
            "id": "cmpl-" + rid,
            "object": "text_completion",
            "created": created,
            "model": self.model,
            "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": None}],
            "usage": usage,
        }

    async def stream(self, endpoint: str, body: dict[str, Any]) -> AsyncIterator[bytes]:
        rid, created = self._ids(body)
        rid = ("chatcmpl-" if endpoint == "chat" else "cmpl-") + rid
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chat = endpoint == "chat"
        n = 0
        prompt_tokens = 0
        obj = "chat.completion.chunk" if chat else "text_completion"
        async for piece, n_prompt, i in self.generate(endpoint, body):
            n += 1
            prompt_tokens = n_prompt
            if chat:
                delta: dict[str, Any] = {"content": piece}
                if i == 0:
                    delta["role"] = "assistant"
                choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": None}
            else:
                choice = {"index": 0, "text": piece, "finish_reason": None}
            yield _sse({"id": rid, "object": obj, "created": created, "model": self.model, "choices": [choice]})
        final: dict[str, Any] = {
            "index": 0,
            "finish_reason": "length" if body.get("max_tokens") == n else "stop",
        }
        if chat:
            final["delta"] = {}
        else:
            final["text"] = ""
        yield _sse({"id": rid, "object": obj, "created": created, "model": self.model, "choices": [final]})
        if include_usage:
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": n,
                "total_tokens": prompt_tokens + n,
            }
            yield _sse(
                {
                    "id": rid,
                    "object": obj,
                    "created": created,
                    "model": self.model,
                    "choices": [],
                    "usage": usage,
                }
            )
        yield b"data: [DONE]\n\n"

    def embed(self, body: dict[str, Any]) -> dict[str, Any]:
        inputs = body.get("input")
        items = [inputs] if isinstance(inputs, str) else list(inputs or [])
        dim = int(body.get("dimensions") or self.config.embedding_dim)
        data = []
        tokens = 0
        for i, item in enumerate(items):
            text = item if isinstance(item, str) else str(item)
            tokens += count_prompt_tokens(text)
            raw = hashlib.shake_256(text.encode("utf-8", "replace")).digest(dim)
            vec = [(b - 127.5) / 127.5 for b in raw]
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            data.append({"object": "embedding", "index": i, "embedding": [round(v / norm, 6) for v in vec]})
        return {
            "object": "list",
            "data": data,
            "model": self.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


class _SimStream(UpstreamStream):
    def __init__(self, gen: AsyncIterator[bytes]) -> None:
        self._gen = gen

    async def events(self) -> AsyncIterator[bytes]:
        async for ev in self._gen:
            yield ev

    async def aclose(self) -> None:
        await self._gen.aclose()  # type: ignore[attr-defined]


class SimulatorProvider(Provider):
    """In-process simulator backend: no socket, same bytes an OpenAI-compatible server would send."""

    kind = "simulator"
    simulated = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine = SimulatorEngine(self.config.simulator or SimulatorConfig(), model=self.upstream_model)

    async def send(self, endpoint: str, body: dict[str, Any]) -> UpstreamResponse:
        _check(endpoint, body)
        data = await self.engine.complete(endpoint, body)
        return UpstreamResponse(200, orjson.dumps(data), data)

    async def stream(self, endpoint: str, body: dict[str, Any]) -> UpstreamStream:
        _check(endpoint, body)
        return _SimStream(self.engine.stream(endpoint, body))


def _check(endpoint: str, body: dict[str, Any]) -> None:
    """The simulator rejects what a real server would, so 4xx paths can be exercised offline."""
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1 or max_tokens > 32768):
        raise ProviderHTTPError(
            400,
            orjson.dumps(
                {
                    "error": {
                        "message": "max_tokens must be an integer between 1 and 32768",
                        "type": "invalid_request_error",
                        "param": "max_tokens",
                        "code": None,
                    }
                }
            ),
        )
