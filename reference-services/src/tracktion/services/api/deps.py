"""Dependencies of the ``/v1`` routes: bearer authentication, then the rate limit."""

from __future__ import annotations

import hashlib
import math
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .context import ApiContext, get_context
from .errors import ApiError

__all__ = ["Context", "authenticated", "bearer", "protected"]

bearer = HTTPBearer(auto_error=False, description="A token of TRACKTION_API_TOKENS.")

Context = Annotated[ApiContext, Depends(get_context)]


async def authenticated(
    ctx: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str | None:
    """The caller's token, checked; ``None`` when authentication is off.

    Raises ``ApiError`` 401 for a missing or unknown token.
    """
    if not ctx.tokens.required:
        return None
    token = None if credentials is None else credentials.credentials
    if not ctx.tokens.valid(token):
        ctx.metrics.errors.labels("auth").inc()
        problem = "missing bearer token" if token is None else "invalid bearer token"
        raise ApiError(
            401,
            "unauthorized",
            f"{problem}: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token


async def protected(
    request: Request, ctx: Context, token: Annotated[str | None, Depends(authenticated)]
) -> None:
    """Authentication, then one event of the caller's rate limit (by token, else address).

    Raises ``ApiError`` 429 with ``Retry-After`` over the limit.
    """
    if ctx.limiter is None:
        return
    if token is not None:
        key = "token:" + hashlib.sha256(token.encode()).hexdigest()
    else:
        key = "addr:" + (request.client.host if request.client else "unknown")
    wait = ctx.limiter.check(key)
    if wait is not None:
        ctx.metrics.errors.labels("rate_limited").inc()
        seconds = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "rate_limited",
            f"rate limit of {ctx.options.rate_limit_per_minute} requests per minute "
            f"exceeded; retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )
