"""The upstream HTTP/1.1 client against a raw socket server that answers exactly the bytes a test
scripts: framing (length, chunked, until close), 1xx, compression, keep-alive reuse, servers that hang
up, deadlines, TLS; and the openai provider's mapping of what goes wrong to provider errors."""

from __future__ import annotations

import asyncio
import base64
import gzip
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import orjson
import pytest
from tests.gateway.test_process import _self_signed

from seedstack.config import BackendConfig, TimeoutConfig
from seedstack.providers import Provider, ProviderConnectError, ProviderHTTPError, ProviderTimeoutError, build_provider
from seedstack.providers.http1 import ConnectionClosed, Http1Pool, ProtocolError

Reply = Callable[[int, bytes, bytes], bytes | None]  # (request number, head, body) -> bytes to send, None: hang up


class RawServer:
    """Reads each request (head + content-length body) and writes what ``reply`` returns."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[tuple[bytes, bytes]] = []
        self.connections = 0
        self.url = ""
        self.delay = 0.0
        self.close_after: set[int] = set()  # request numbers after whose reply the server hangs up

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                body = await reader.readexactly(length)
                self.requests.append((head, body))
                if self.delay:
                    await asyncio.sleep(self.delay)
                out = self.reply(len(self.requests), head, body)
                if out is None:
                    break
                writer.write(out)
                await writer.drain()
                if len(self.requests) in self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


Serve = Callable[..., Awaitable[RawServer]]


def ok(body: bytes, *extra: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (
        len(body),
        b"".join(e + b"\r\n" for e in extra),
        body,
    )


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(reply: Reply, tls: ssl.SSLContext | None = None) -> RawServer:
        raw = RawServer(reply)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0, ssl=tls)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        raw.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/v1"
        return raw

    yield start  # type: ignore[misc]
    await asyncio.sleep(0.01)  # let handlers see their clients' closes
    for s in servers:
        s.close()


def _deadline(seconds: float = 5.0) -> float:
    return asyncio.get_running_loop().time() + seconds


async def _post(pool: Http1Pool, body: bytes = b"{}") -> tuple[int, bytes]:
    resp = await pool.post("/chat/completions", body, _deadline())
    try:
        return resp.status, await resp.read(_deadline())
    finally:
        resp.release()


async def test_request_head_body_and_keep_alive_reuse(serve: Serve) -> None:
    server = await serve(lambda n, h, b: ok(b'{"n": %d}' % n))
    pool = Http1Pool(server.url, headers={"authorization": "Bearer k", "X-Extra": "1"})
    for i in range(1, 4):
        assert await _post(pool, b'{"q": 1}') == (200, b'{"n": %d}' % i)
    await pool.close()
    assert server.connections == 1
    head, body = server.requests[0]
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /v1/chat/completions HTTP/1.1"
    assert {"authorization: Bearer k", "x-extra: 1", "content-length: 8", "accept-encoding: identity"} <= set(lines)
    assert body == b'{"q": 1}'


async def test_large_bodies_are_sent_whole(serve: Serve) -> None:
    server = await serve(lambda n, h, b: ok(b"%d" % len(b)))
    pool = Http1Pool(server.url)
    big = b"x" * 3_000_000
    assert await _post(pool, big) == (200, b"3000000")
    assert server.requests[0][1] == big
    await pool.close()


async def test_chunked_until_close_interim_and_gzip_bodies(serve: Serve) -> None:
    replies = {
        1: b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        2: b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"after-100"),
        3: ok(gzip.compress(b"zipped"), b"content-encoding: gzip"),
    }
    server = await serve(lambda n, h, b: replies[n])
    pool = Http1Pool(server.url)
    assert [await _post(pool) for _ in range(3)] == [(200, b"abcde"), (200, b"after-100"), (200, b"zipped")]
    assert server.connections == 1
    await pool.close()


async def test_body_until_the_server_closes() -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(2)
        writer.write(b"HTTP/1.1 200 OK\r\n\r\npart one, ")
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.write(b"part two")
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(once, "127.0.0.1", 0)
    pool = Http1Pool(f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/v1")
    assert await _post(pool) == (200, b"part one, part two")
    assert pool._idle == []  # a connection the server closed is not kept
    srv.close()
    await pool.close()


async def test_server_hanging_up_mid_response_is_an_error_and_the_connection_is_dropped(
    serve: Serve,
) -> None:
    server = await serve(
        lambda n, h, b: b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort" if n == 1 else ok(b"fine")
    )
    server.close_after = {1}  # 95 bytes short
    pool = Http1Pool(server.url)
    with pytest.raises(ConnectionClosed):
        await _post(pool)
    assert await _post(pool) == (200, b"fine")
    assert server.connections == 2
    await pool.close()


async def test_an_idle_connection_the_server_closed_is_not_reused(serve: Serve) -> None:
    server = await serve(lambda n, h, b: ok(b"x"))
    server.close_after = {1}  # like a server's keep-alive timeout
    pool = Http1Pool(server.url)
    assert await _post(pool) == (200, b"x")
    await asyncio.sleep(0.1)
    assert await _post(pool) == (200, b"x")
    assert server.connections == 2
    await pool.close()


async def test_garbage_and_unknown_encodings_are_protocol_errors(serve: Serve) -> None:
    server = await serve(lambda n, h, b: b"NOT HTTP AT ALL\r\n\r\n" if n == 1 else ok(b"x", b"content-encoding: br"))
    pool = Http1Pool(server.url)
    with pytest.raises(ProtocolError):
        await _post(pool)
    with pytest.raises(ProtocolError, match="br"):
        await _post(pool)
    await pool.close()


async def test_deadlines_for_the_head_and_for_the_body(serve: Serve) -> None:
    server = await serve(lambda n, h, b: ok(b"late"))
    server.delay = 0.3
    pool = Http1Pool(server.url)
    loop = asyncio.get_running_loop()
    with pytest.raises(TimeoutError):
        await pool.post("/chat/completions", b"{}", loop.time() + 0.1)
    assert pool._idle == []
    server.delay = 0
    slow_body = await serve(lambda n, h, b: b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf")
    pool2 = Http1Pool(slow_body.url)
    resp = await pool2.post("/chat/completions", b"{}", _deadline())
    with pytest.raises(TimeoutError):
        await resp.read(loop.time() + 0.1)
    resp.release()
    assert pool2._idle == []  # an unfinished response's connection is closed, never reused
    await pool.close()
    await pool2.close()
    await asyncio.sleep(0.3)  # the slow server's reply goes nowhere


async def test_streamed_body_comes_chunk_by_chunk(serve: Serve) -> None:
    async def sse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(2)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in (b"data: 1\n\n", b"data: 2\n\n"):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    srv = await asyncio.start_server(sse, "127.0.0.1", 0)
    pool = Http1Pool(f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/v1")
    resp = await pool.post("/chat/completions", b"{}", _deadline(), stream=True)
    got = []
    while chunk := await resp.next_chunk(_deadline()):
        got.append(chunk)
    resp.release()
    assert got == [b"data: 1\n\n", b"data: 2\n\n"]
    assert len(pool._idle) == 1  # read to its end: kept for the next request
    srv.close()
    await pool.close()


async def test_tls_upstream_with_the_operators_ca(serve: Serve, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    server = await serve(lambda n, h, b: ok(b"secure"), server_ctx)
    trusted = Http1Pool(server.url, ssl_context=ssl.create_default_context(cafile=str(cert)))
    assert await _post(trusted) == (200, b"secure")
    await trusted.close()
    untrusted = Http1Pool(server.url)  # the system CAs do not know this certificate
    with pytest.raises(ssl.SSLError):
        await _post(untrusted)
    await untrusted.close()


async def test_url_credentials_are_basic_auth_and_the_host_header_keeps_the_port(serve: Serve) -> None:
    server = await serve(lambda n, h, b: ok(b"{}"))
    pool = Http1Pool(server.url.replace("http://", "http://us%40er:p%3Ass@"))
    await _post(pool)
    lines = server.requests[0][0].decode().split("\r\n")
    port = server.url.split(":")[2].split("/")[0]
    assert f"host: 127.0.0.1:{port}" in lines
    assert "authorization: Basic " + base64.b64encode(b"us@er:p:ss").decode() in lines
    await pool.close()


def test_header_values_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        Http1Pool("http://127.0.0.1:1/v1", headers={"x-evil": "a\r\nhost: elsewhere"})


# --- the openai provider on top of it ------------------------------------------------------------


def _provider(url: str, **timeouts: float) -> Provider:
    cfg = BackendConfig(provider="openai", base_url=url, model="m", timeouts=TimeoutConfig(**timeouts))
    return build_provider(cfg, name="up", alias="m")


async def test_provider_maps_redirects_bad_json_and_hangups(serve: Serve) -> None:
    replies = {
        1: b"HTTP/1.1 301 Moved\r\nlocation: https://elsewhere/v1/chat/completions\r\ncontent-length: 0\r\n\r\n",
        2: ok(b"not json"),
        3: b"HTTP/1.1 503 Busy\r\ncontent-length: 2\r\n\r\n{}",
    }
    server = await serve(lambda n, h, b: replies.get(n))
    p = _provider(server.url)
    await p.start()
    body = {"model": "m", "messages": []}
    with pytest.raises(ProviderHTTPError) as redirect:
        await p.send("chat", body)
    assert redirect.value.status == 502 and b"https://elsewhere" in redirect.value.body
    with pytest.raises(ProviderHTTPError) as bad:
        await p.send("chat", body)
    assert bad.value.status == 502 and orjson.loads(bad.value.body)["error"]["message"] == "upstream sent invalid JSON"
    with pytest.raises(ProviderHTTPError) as busy:
        await p.send("chat", body)
    assert busy.value.outcome == "5xx"
    with pytest.raises(ProviderConnectError):
        await p.send("chat", body)
    await p.close()


async def test_provider_timeouts_name_their_phase(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server = await serve(lambda n, h, b: ok(b"{}"))
    server.delay = 0.3
    p = _provider(server.url, first_token=0.1, total=5)
    await p.start()
    with pytest.raises(ProviderTimeoutError) as first:
        await p.send("chat", {"model": "m"})
    assert first.value.phase == "first_token"
    await p.close()
    await asyncio.sleep(0.3)  # the server's reply goes nowhere

    async def never_connects(*args: object, **kwargs: object) -> None:
        await asyncio.sleep(10)

    monkeypatch.setattr(asyncio.get_running_loop(), "create_connection", never_connects)
    slow = _provider(server.url, connect=0.1)
    await slow.start()
    with pytest.raises(ProviderTimeoutError) as conn:
        await slow.send("chat", {"model": "m"})
    assert conn.value.phase == "connect"
    await slow.close()


async def test_provider_stream_events_are_whole_and_newline_terminated(serve: Serve) -> None:
    async def sse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n")
        # events split across writes, CRLF line ends, a comment line, no newline at the very end
        for piece in (b'data: {"a"', b": 1}\r\n\r\ndata: 2\n", b": keep-alive\n\n", b"data: [DONE]"):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.close()

    srv = await asyncio.start_server(sse, "127.0.0.1", 0)
    p = _provider(f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/v1")
    await p.start()
    stream = await p.stream("chat", {"model": "m", "stream": True})
    events = [e async for e in stream.events()]
    await stream.aclose()
    assert events == [b'data: {"a": 1}\r\n\n', b"data: 2\n: keep-alive\n\n", b"data: [DONE]\n\n"]
    srv.close()
    await p.close()
