"""Secrets and abuse limits: tokens, signed session cookies, CSRF tokens, token-bucket limits.

Session cookies are signed and time-stamped by itsdangerous (HMAC-SHA256 under the study
secret); the value starts with the rater id, so a cookie names its rater in the clear and
proves it by the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, TimestampSigner

SESSION_MAX_AGE_S = 30 * 24 * 3600  # a rater's browser stays joined for 30 days


def new_token() -> str:
    """An unguessable URL-safe token (192 bits)."""
    return secrets.token_urlsafe(24)


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the expected one."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def sign(secret: str, purpose: str, value: str) -> str:
    """An HMAC-SHA256 signature binding ``value`` to ``purpose`` under the study secret."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _session_signer(secret: str) -> TimestampSigner:
    return TimestampSigner(secret, salt="ganforge-rate-session", digest_method=hashlib.sha256)


def session_cookie(secret: str, rater_id: str) -> str:
    """The cookie value that proves a browser joined as ``rater_id`` (``rater.time.signature``)."""
    return _session_signer(secret).sign(rater_id).decode()


def rater_from_cookie(secret: str, value: str | None) -> str | None:
    """The rater id of a well-signed session cookie younger than 30 days, else None."""
    if not value:
        return None
    try:
        return _session_signer(secret).unsign(value, max_age=SESSION_MAX_AGE_S).decode()
    except (BadSignature, UnicodeError):
        return None


def csrf_token(secret: str, rater_id: str) -> str:
    """The anti-CSRF token a page must send back in the X-CSRF-Token header."""
    return sign(secret, "csrf", rater_id)


@dataclass(frozen=True)
class Limit:
    """A token bucket: ``rate`` requests per second on average, bursts up to ``burst``."""

    rate: float
    burst: float


class RateLimiter:
    """Thread-safe token buckets keyed by rater or client address."""

    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds until the next token."""
        now = self.clock()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (self.limit.burst, now))
            tokens = min(self.limit.burst, tokens + (now - stamp) * self.limit.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget idle clients
                full = [k for k, (t, s) in self._buckets.items() if now - s > 3600]
                for k in full:
                    del self._buckets[k]
            return (1.0 - tokens) / self.limit.rate
