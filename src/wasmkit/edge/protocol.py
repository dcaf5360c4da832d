"""The HTTP/1.1 protocol `wasmkit serve` speaks: uvicorn's httptools protocol, with a cap on
the request line and headers.

httptools (llhttp) is the cheaper parser (measured here: uvicorn with a trivial app took
0.40 ms of CPU per request with h11 and 0.18 ms with httptools), but uvicorn's httptools
protocol buffers a request's head without limit, where h11 has a cap. This protocol counts the bytes of the head as they
arrive and answers 431 and closes the connection once they pass `MAX_HEAD_BYTES`, so that a
client cannot make a worker hold an endless header.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["CappedHttpToolsProtocol", "MAX_HEAD_BYTES"]

MAX_HEAD_BYTES = 64 * 1024  # a request line and headers longer than this get a 431
_REFUSAL_BODY = b"the request line and headers are too long\n"
_REFUSAL = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    + b"content-length: %d\r\nconnection: close\r\n\r\n" % len(_REFUSAL_BODY)
    + _REFUSAL_BODY
)


class CappedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request whose head passes `MAX_HEAD_BYTES`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0  # received since the last head ended (an over-count by one read at most)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still in the head after this read: everything counted belongs to it.
        if self._reading_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self.transport.write(_REFUSAL)
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head = True
