"""Bearer-token authentication for the HTTP routes and the WebSocket."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

__all__ = ["TokenChecker", "bearer_token", "generate_token"]


def generate_token() -> str:
    """A new random token (256 bits, URL-safe), e.g. for a first-start admin token."""
    return secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else ``None``."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class TokenChecker:
    """Compares presented tokens with the configured ones in constant time."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self._tokens = tuple(token.encode() for token in tokens)

    @property
    def required(self) -> bool:
        """Whether any token is configured (authentication is on)."""
        return bool(self._tokens)

    def valid(self, token: str | None) -> bool:
        """Whether ``token`` is one of the configured tokens."""
        if token is None:
            return False
        presented = token.encode()
        # Compare with every token, so the time taken does not tell which one matched.
        matched = False
        for known in self._tokens:
            matched |= hmac.compare_digest(presented, known)
        return matched
