"""The HTTP/1.1 protocol `wasmkit serve` speaks: uvicorn's httptools protocol, with the request's
framing bounded where the bytes enter.

httptools (llhttp) is the cheaper parser (measured here: uvicorn with a trivial app took
0.40 ms of CPU per request with h11 and 0.18 ms with httptools), but uvicorn's httptools
protocol bounds nothing but the body: it buffers a request's head without limit, appends every
trailer line of a chunked body to the request's headers, lets chunk extensions run on forever
and waits for a partial head for ever. This protocol adds, per request:

- A cap on the bytes that are not body (`MAX_FRAMING_BYTES`): the request line and headers,
  chunk-size lines with their extensions, and trailers all count against it. Each read is fed
  to the parser in slices no longer than what is left of the cap, so the cap holds inside a
  read, not only between reads. Ordinary chunk framing is free: each chunk is allowed
  `CHUNK_ALLOWANCE` bytes of size line and CRLFs, as Go's net/http allows 16 (so a client may
  stream a byte per chunk, but cannot hide a megabyte of extensions behind it). Past the cap:
  431 while in the head, 400 after it (chunk lines, trailers), and the connection is closed.
  A request that begins in a slice where the one before it ended (pipelining) is counted from
  the next slice, so it may pass the cap by up to one slice (64 KiB) before it is refused.
- A cap on the number of header lines (`MAX_HEADERS`, Apache's LimitRequestFields): each costs
  far more memory as a Python tuple than its few bytes on the wire. Past it: 431.
- Trailers are read and dropped: they never reach the request's headers (nginx does the same).
- A header-read timeout (`limits.ProtocolLimits.header_timeout`, like nginx's client_header_timeout):
  a connection whose request head is not complete that long after the connection opened or
  the request began gets a 408 and is closed, so slow or silent clients cannot hold
  connections.
- Pipelined requests are parsed one at a time, as nginx does: while a request is being answered,
  what follows it is parsed a kilobyte at a time and no further once a whole request waits;
  the rest is held, unparsed, and reading pauses, until the answer is sent. uvicorn parses all
  it has read, so a single read of tiny pipelined requests made thousands of pending requests
  (measured: 8 connections grew a worker by 125 MiB).
- A request answered before its body was all read (408, 413) ends its connection, once the
  client has had the answer, instead of the body being read and discarded for as long as the
  client trickles it.
- A cap on open connections per worker (`ProtocolLimits.max_connections`, as nginx's
  worker_connections): one past it is answered 503 and closed. With the cap on each head,
  this bounds what the heads of all connections can hold.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .limits import ProtocolLimits

__all__ = ["CappedHttpToolsProtocol", "MAX_FRAMING_BYTES", "MAX_HEADERS", "protocol_factory"]

MAX_FRAMING_BYTES = 64 * 1024  # request line, headers, chunk lines past their allowance, trailers
MAX_HEADERS = 100  # header lines in a request head
CHUNK_ALLOWANCE = 16  # bytes of size line and CRLFs each chunk may use without being counted
PIPELINED_SLICE = 1024  # bytes parsed at a time after a request that is still being answered
LINGER_SECONDS = 5.0  # how long a refused connection is drained before it is closed (nginx's lingering_timeout)


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request the server refuses."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _response(status: int, phrase: str, text: str) -> bytes:
    body = text.encode() + b"\n"
    head = f"HTTP/1.1 {status} {phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
    head += f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    return head.encode() + body


_ANSWERS = {
    400: _response(400, "Bad Request", "the chunked body's framing or trailers are too long"),
    408: _response(408, "Request Timeout", "the request head did not arrive in time"),
    431: _response(431, "Request Header Fields Too Large", "the request line and headers are too long"),
    503: _response(503, "Service Unavailable", "too many connections"),
}


class CappedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the limits described in the module docstring."""

    def __init__(self, *args: Any, limits: ProtocolLimits = ProtocolLimits(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits
        self._in_head = True  # between requests or reading a head: the parser's state at a slice's end
        self._framing = 0  # bytes of the current request that are not body, past the chunk allowance
        self._header_count = 0
        self._slice_body = 0  # body bytes the parser delivered from the slice being fed
        self._slice_chunks = 0  # chunk headers the parser met in the slice being fed
        self._slice_completed = False  # a request ended inside the slice being fed
        self._head_timer: asyncio.TimerHandle | None = None
        self._lingering = False  # refused, answered, and draining until the client closes
        self._unparsed = b""  # bytes read but held back while pipelined requests wait

    # -- where the bytes enter --

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._limits.max_connections:
            self.logger.warning("Refused a connection: %d open, the most a worker takes", self._limits.max_connections)
            self.transport.write(_ANSWERS[503])
            self._linger()
            return
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # refused: what still comes is drained and dropped
        self._unset_keepalive_if_required()
        if self._in_head:
            self._arm_head_timer()  # even bytes that begin no request (blank lines) start the clock
        if self._unparsed:
            data, self._unparsed = self._unparsed + data, b""
        view = memoryview(data)
        offset = 0
        while offset < len(view) and not self.transport.is_closing() and not self._lingering:
            if self.pipeline:
                # A whole request waits behind the one being answered: parse no further until
                # it is answered (reading is paused meanwhile), as nginx takes one at a time.
                self._unparsed = bytes(view[offset:])
                self.flow.pause_reading()
                return
            size = max(MAX_FRAMING_BYTES - self._framing, 1)
            if self._in_head and self.cycle is not None and not self.cycle.response_complete:
                size = min(size, PIPELINED_SLICE)  # what follows a request still being answered
            piece = view[offset : offset + size]
            offset += len(piece)
            if not self._feed(piece):
                return
            if self._slice_completed:
                continue  # the next request began somewhere in this slice: counted from the next
            self._framing += max(len(piece) - self._slice_body - CHUNK_ALLOWANCE * self._slice_chunks, 0)
            if self._framing >= MAX_FRAMING_BYTES and self._in_head:
                self._refuse(431)  # the head needs more bytes than the cap
                return
            if self._framing > MAX_FRAMING_BYTES:
                self._refuse(400)  # chunk lines or trailers past the cap
                return

    def _feed(self, piece: memoryview) -> bool:
        """Parse `piece`; False when the connection was refused or found malformed."""
        self._slice_body = self._slice_chunks = 0
        self._slice_completed = False
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserError as err:
            if isinstance(err.__context__, _Refused):
                self._refuse(err.__context__.status)
                return False
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return False
        except httptools.HttpParserUpgrade:
            # No WebSocket here (the app answers HTTP only): as uvicorn does, warn and go on.
            self._unsupported_upgrade_warning()
        return True

    def _refuse(self, status: int) -> None:
        """Answer `status` (unless a response is already under way), stop reading requests,
        and close. As nginx does, the connection is closed only once the client has seen the
        answer: the write side is shut and what the client still sends is read and dropped
        until it closes or `LINGER_SECONDS` pass (closing at once, with unread bytes, would
        reset the connection and could destroy the answer before the client read it)."""
        self.logger.warning("Refused a request: %s", _ANSWERS[status].split(b"\r\n", 1)[0].decode())
        self._cancel_head_timer()
        cycle = self.cycle
        if cycle is None or not cycle.response_started:
            self.transport.write(_ANSWERS[status])
        if cycle is not None:  # the app sees a client that went away
            cycle.disconnected = True
            cycle.message_event.set()
        self._linger()

    def _linger(self) -> None:
        """Read no more requests: shut the write side once what was written is sent, drop what
        the client still sends, and close when it closes or after `LINGER_SECONDS`."""
        self._lingering = True
        self._cancel_head_timer()
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def on_response_complete(self) -> None:
        # Answered before the request's body was all read (a 408 or 413, say): rather than
        # parse and discard the rest for as long as the client cares to trickle it, close as
        # nginx does, after the client has had the answer.
        unread = self.cycle is not None and not self.pipeline and self.cycle.more_body
        super().on_response_complete()
        if unread and not self.transport.is_closing():
            self._unset_keepalive_if_required()
            self._linger()
        elif self._unparsed and self.pipeline:
            self.flow.pause_reading()  # super() resumed it; nothing more is read while requests wait
        elif self._unparsed:
            self.data_received(b"")  # parse the pipelined requests held back

    # -- parser callbacks --

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._framing = 0
        self._header_count = 0
        self._arm_head_timer()

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._in_head:
            return  # a trailer: read and dropped
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            raise _Refused(431, "too many header lines")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._slice_body += len(body)
        super().on_body(body)

    def on_chunk_header(self) -> None:
        self._slice_chunks += 1

    def on_message_complete(self) -> None:
        self._in_head = True  # whatever follows is the next request's head
        self._slice_completed = True
        self._framing = 0
        super().on_message_complete()

    # -- the header-read timeout --

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._limits.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # a request is being answered; its successor's head can wait
            return
        self.transport.write(_ANSWERS[408])
        self.transport.close()


def protocol_factory(limits: ProtocolLimits) -> Any:
    """The protocol class uvicorn's `Config(http=...)` takes, with `limits` bound (a partial,
    so that it pickles into worker processes)."""
    return functools.partial(CappedHttpToolsProtocol, limits=limits)
