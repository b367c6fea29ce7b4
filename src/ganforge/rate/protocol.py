"""uvicorn's HTTP/1.1 protocol with the rating page's rules for clients that stall or leave.

uvicorn closes idle keep-alive connections but puts no time limit on a request head, and
drops a request whose client closes its side mid-body without letting the app answer.
``RatingProtocol`` adds both; ``RatingConfig`` is uvicorn's configuration that selects it.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ganforge.rate.middleware import REQUEST_TIMEOUT_S


class RatingProtocol(H11Protocol):
    """uvicorn's h11 protocol plus two rules for clients that stall or leave mid-request.

    A connection that has not completed a request head within ``request_timeout`` seconds of
    its last data is closed without an answer (uvicorn itself only times out idle keep-alive
    connections), so stalled clients cannot pile up. A client that ends its half of the
    connection in the middle of a request body still gets the app's answer (400: shorter than
    its Content-Length) before the connection closes. Bodies that stall are the app's concern
    (``middleware.RequestBody`` answers 408).
    """

    _head_timer: Any = None

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        """Start waiting for the first request head."""
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        """Parse as uvicorn does; restart the head timer while a head is still incomplete."""
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the head timer."""
        self._stop_head_timer()
        super().connection_lost(exc)

    def eof_received(self) -> bool | None:
        """Mid-body: give the app the body so far and keep the socket open for its answer."""
        cycle = self.cycle
        if cycle is not None and cycle.more_body and not cycle.response_complete:
            cycle.more_body = False
            cycle.keep_alive = False
            cycle.message_event.set()
            return True
        return None

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _watch_head(self) -> None:
        self._stop_head_timer()
        waiting_for_head = self.cycle is None or self.cycle.response_complete
        if waiting_for_head and not self.transport.is_closing():
            timeout = getattr(self.config, "request_timeout", REQUEST_TIMEOUT_S)
            self._head_timer = self.loop.call_later(timeout, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


class RatingConfig(uvicorn.Config):
    """uvicorn's configuration with the rating protocol and its request timeout."""

    def __init__(self, app: Any, request_timeout: float = REQUEST_TIMEOUT_S, **kwargs: Any):
        super().__init__(app, http=RatingProtocol, **kwargs)
        self.request_timeout = request_timeout
