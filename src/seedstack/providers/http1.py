"""A lean keep-alive HTTP/1.1 client for upstream calls: POST to one origin, over plain TCP or TLS.

aiohttp's general-purpose request path (cookie jar, tracing hooks, redirect handling, multidict
headers, a task per request body) cost about 130 µs of CPU per call on the gateway's benchmark
machine, more than the gateway's own work per request. The gateway only ever POSTs JSON to a fixed
base URL, so this client writes a request head built once per path plus the body in one ``write``
and parses the response with httptools (llhttp, the parser uvicorn already uses for our server side).

Deliberately out of scope: redirects (the caller sees the 3xx), proxies, cookies, HTTP/2. Response
bodies may come by ``content-length``, chunked or until the server closes; ``gzip``/``deflate`` is
decoded although every request asks for ``identity``.

Errors: ``OSError`` (connecting, TLS), ``ConnectTimeout``, ``TimeoutError`` (a caller's deadline),
``ConnectionClosed`` (the server hung up mid-response) and ``ProtocolError`` (a response we cannot
parse). A connection whose response did not complete cleanly is closed, never reused.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import zlib
from collections import deque
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

import httptools

__all__ = ["ConnectTimeout", "ConnectionClosed", "Http1Error", "Http1Pool", "Http1Response", "ProtocolError"]

# A stream whose reader falls behind stops reading from the socket past this many buffered bytes
# (TCP then slows the upstream down) and resumes below the low mark.
_HIGH_WATER = 256 * 1024
_LOW_WATER = 64 * 1024
_COPY_LIMIT = 64 * 1024  # smaller bodies are joined to the head: one buffer, one send


class Http1Error(Exception):
    """Base of this client's own errors (``OSError`` and ``TimeoutError`` pass through as they are)."""


class ConnectTimeout(Http1Error):
    """No connection (TCP and TLS handshake) within the connect timeout."""


class ConnectionClosed(Http1Error):
    """The server closed the connection before the response was complete."""


class ProtocolError(Http1Error):
    """The server's response is not HTTP we can read."""


def _expire(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError())


class _Connection(asyncio.Protocol):
    """One keep-alive connection; carries one request at a time. Parser callbacks fill in the response
    and wake the single waiter (the task that made the request)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[None] | None = None
        self.in_use = False
        self.closed = False
        self.idle_since = 0.0
        self.stream = False
        self.paused = False
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.until_eof = False
        self.interim = False
        self.decoder: zlib._Decompress | None = None
        self.error: Exception | None = None

    # --- request side --------------------------------------------------------------------
    def begin(self, data: bytes | tuple[bytes, ...], *, stream: bool) -> None:
        if self.closed or self.transport is None or self.transport.is_closing():
            raise ConnectionClosed("the connection closed before the request was sent")
        self._reset()
        self.in_use = True
        self.stream = stream
        if isinstance(data, bytes):
            self.transport.write(data)
        else:
            self.transport.writelines(data)

    async def wait(self, deadline: float) -> None:
        """Until the parser has news for the request (or the connection ends); ``TimeoutError`` at
        ``deadline`` (event-loop time)."""
        fut = self.loop.create_future()
        self.waiter = fut
        timer = self.loop.call_at(deadline, _expire, fut)
        try:
            await fut
        finally:
            timer.cancel()
            self.waiter = None

    def take(self) -> bytes:
        chunks = self.chunks
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self.buffered = 0
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return data

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and self.error is None and not self.closed

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _wake(self) -> None:
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _fail(self, exc: Exception) -> None:
        if self.error is None:
            self.error = exc
        self.abort()
        self._wake()

    # --- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.in_use and not self.complete:
            if self.headers_done and self.until_eof and self.error is None:
                self._finish_body()  # a body without length or chunking ends when the server closes
            elif self.error is None:
                self.error = ConnectionClosed("the server closed the connection before the response was complete")
        self._wake()

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def data_received(self, data: bytes) -> None:
        if not self.in_use:  # nothing asked for: a server that talks out of turn cannot be trusted
            self.abort()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            self._fail(cause if isinstance(cause, Http1Error) else ProtocolError(f"bad response: {exc}"))
        except httptools.HttpParserError as exc:
            self._fail(ProtocolError(f"bad response: {exc}"))

    # --- httptools callbacks -------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # 100 Continue and friends: the real response follows
            self.interim = True
            self.headers = []
            return
        self.status = status
        length = chunked = False
        for name, value in self.headers:
            if name == b"content-length":
                length = True
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"content-encoding":
                self.decoder = _decoder(value)
        self.until_eof = not length and not chunked and status not in (204, 304)
        self.headers_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self.decoder is not None:
            try:
                body = self.decoder.decompress(body)
            except zlib.error as exc:
                raise ProtocolError(f"cannot decompress the response body: {exc}") from None
        if not body:
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.stream and self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        self.keep_alive = self.parser.should_keep_alive()
        self._finish_body()

    def _finish_body(self) -> None:
        if self.decoder is not None:
            tail = self.decoder.flush()
            if tail:
                self.chunks.append(tail)
                self.buffered += len(tail)
        self.complete = True
        self._wake()


def _decoder(encoding: bytes) -> zlib._Decompress | None:
    enc = encoding.strip().lower()
    if enc in (b"", b"identity"):
        return None
    if enc in (b"gzip", b"x-gzip", b"deflate"):
        return zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
    raise ProtocolError(f"unsupported content-encoding {enc.decode('latin-1')!r} (we ask for identity)")


class Http1Response:
    """A response whose status line and headers have arrived; read its body, then ``release``."""

    __slots__ = ("_conn", "_pool", "_released", "headers", "status")

    def __init__(self, conn: _Connection, pool: Http1Pool) -> None:
        self._conn = conn
        self._pool = pool
        self._released = False
        self.status = conn.status
        self.headers = conn.headers

    def header(self, name: bytes) -> bytes | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None

    async def read(self, deadline: float) -> bytes:
        """The whole body; ``TimeoutError`` at ``deadline`` (event-loop time)."""
        conn = self._conn
        while not conn.complete:
            if conn.error is not None:
                raise conn.error
            await conn.wait(deadline)
        return conn.take()

    async def next_chunk(self, deadline: float) -> bytes:
        """Body bytes as they arrive (everything buffered so far); ``b""`` once the body is complete."""
        conn = self._conn
        while True:
            if conn.chunks:
                return conn.take()
            if conn.complete:
                return b""
            if conn.error is not None:
                raise conn.error
            await conn.wait(deadline)

    def release(self) -> None:
        """Hand the connection back for reuse when the response was read to its end, else close it."""
        if self._released:
            return
        self._released = True
        self._pool._put(self._conn)


class Http1Pool:
    """Keep-alive connections to the origin of ``base_url``; requests go to ``base path + path``."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        connect_timeout: float = 5.0,
        max_idle: int = 256,
        keepalive_s: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        tls = url.scheme == "https"
        self.host = url.hostname
        self.port = url.port or (443 if tls else 80)
        self.ssl = (ssl_context or ssl.create_default_context()) if tls else None
        self.connect_timeout = connect_timeout
        self.max_idle = max_idle
        self.keepalive_s = keepalive_s
        self._base_path = url.path.rstrip("/")
        fields = {
            "host": url.netloc.rpartition("@")[2],
            "content-type": "application/json",
            "accept": "*/*",
            "accept-encoding": "identity",
        }
        if url.username is not None:  # credentials in the URL: HTTP basic auth, as aiohttp did
            creds = f"{unquote(url.username)}:{unquote(url.password or '')}".encode()
            fields["authorization"] = "Basic " + base64.b64encode(creds).decode("ascii")
        for name, value in (headers or {}).items():
            if name.lower() in ("content-length", "transfer-encoding", "connection"):
                continue  # framing is ours
            fields[name.lower()] = value
        for name, value in fields.items():
            if any(c in name + value for c in "\r\n\0") or not name:
                raise ValueError(f"header {name!r} contains a line break or NUL")
        self._head_fields = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        self._heads: dict[str, bytes] = {}
        self._idle: list[_Connection] = []
        self._closed = False

    # --- requests ------------------------------------------------------------------------
    async def post(self, path: str, body: bytes, first_deadline: float, *, stream: bool = False) -> Http1Response:
        """Send ``body`` and wait for the response head until ``first_deadline`` (event-loop time).

        ``stream=True`` bounds how much of the body is buffered ahead of ``next_chunk``.
        """
        head = self._heads.get(path)
        if head is None:
            head = self._heads[path] = (
                f"POST {self._base_path}{path} HTTP/1.1\r\n{self._head_fields}content-length: ".encode("latin-1")
            )
        size = b"%d\r\n\r\n" % len(body)
        data: bytes | tuple[bytes, ...] = head + size + body if len(body) <= _COPY_LIMIT else (head + size, body)
        conn = await self._acquire(first_deadline)
        try:
            conn.begin(data, stream=stream)
            while not conn.headers_done:
                if conn.error is not None:
                    raise conn.error
                await conn.wait(first_deadline)
        except BaseException:
            conn.abort()
            raise
        return Http1Response(conn, self)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # --- connections ---------------------------------------------------------------------
    async def _acquire(self, first_deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        idle = self._idle
        while idle:
            conn = idle.pop()  # the most recently used: the least likely to have been closed by the server
            if conn.closed or conn.transport is None or conn.transport.is_closing():
                continue
            if loop.time() - conn.idle_since > self.keepalive_s:
                conn.close()
                continue
            return conn
        conn = _Connection(loop)
        now = loop.time()
        connect_by = now + self.connect_timeout
        try:
            async with asyncio.timeout_at(min(connect_by, first_deadline)):
                await loop.create_connection(
                    lambda: conn,
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl is not None else None,
                )
        except TimeoutError:
            conn.abort()
            if connect_by <= first_deadline:
                raise ConnectTimeout(f"no connection to {self.host}:{self.port} in {self.connect_timeout:g}s") from None
            raise
        return conn

    def _put(self, conn: _Connection) -> None:
        conn.in_use = False
        if self._closed or not conn.reusable() or conn.chunks:
            if conn.complete:
                conn.close()
            else:
                conn.abort()
            return
        now = conn.loop.time()
        conn.idle_since = now
        idle = self._idle
        while idle and (idle[0].closed or now - idle[0].idle_since > self.keepalive_s):
            idle.pop(0).close()
        if len(idle) >= self.max_idle:
            conn.close()
            return
        idle.append(conn)
