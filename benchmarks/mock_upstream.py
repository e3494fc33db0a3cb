"""A minimal OpenAI-compatible upstream for overhead benchmarks: fixed reply, no delay.

It is a bare asyncio protocol (keep-alive HTTP/1.1, fixed response) so that it costs as little CPU
as possible and the benchmark measures the gateway, not the mock. Streams answer with a fixed
sequence of SSE events. Usage: python benchmarks/mock_upstream.py PORT
"""

from __future__ import annotations

import asyncio
import sys

import orjson

_REPLY = orjson.dumps(
    {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 0,
        "model": "mock-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from the mock upstream."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18},
    }
)
_CHUNKS = [
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": w}, "finish_reason": None}]}
    for w in ("Hello", " from", " the", " mock", " upstream", ".")
]
_STREAM = (
    b"".join(
        b"data: "
        + orjson.dumps(
            {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": "mock-model", **c}
        )
        + b"\n\n"
        for c in _CHUNKS
    )
    + b'data: {"id":"chatcmpl-mock","object":"chat.completion.chunk","created":0,"model":"mock-model","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18}}\n\n'
    + b"data: [DONE]\n\n"
)


def _response(body: bytes, ctype: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: "
        + ctype
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: keep-alive\r\n\r\n"
        + body
    )


RESP_JSON = _response(_REPLY, b"application/json")
RESP_SSE = _response(_STREAM, b"text/event-stream")


class MockProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end].lower()
            i = head.find(b"content-length:")
            length = int(head[i + 15 : head.find(b"\r\n", i) if head.find(b"\r\n", i) > 0 else None]) if i >= 0 else 0
            end = head_end + 4 + length
            if len(self.buf) < end:
                return
            body = self.buf[head_end + 4 : end]
            self.buf = self.buf[end:]
            self.transport.write(RESP_SSE if b'"stream":true' in body else RESP_JSON)  # type: ignore[attr-defined]


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(MockProtocol, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
