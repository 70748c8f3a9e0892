"""Errors as JSON: every error response has one shape, and names the bad input.

::

    {"status": 404, "error": "not_found",
     "message": "no recording 5b0c...e1 in the catalog", "fields": []}

``fields`` lists each invalid field of a 422 (``{"field": "bpm_min", "location":
"query", "message": ...}``); the message repeats them in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tracktion.contracts import ContractValidationError, TracktionError
from tracktion.core.catalog import CatalogConflictError, CatalogInputError, CatalogNotFoundError
from tracktion.core.errors import BackendUnavailableError

from .context import context_of

__all__ = ["ApiError", "FieldProblem", "error_body", "install_error_handlers"]

log = logging.getLogger("tracktion.api")

FieldProblem = Mapping[str, str]

_LOCATIONS = {"query", "path", "body", "header", "cookie"}


class ApiError(Exception):
    """An error response: HTTP ``status``, a short ``code`` and a human ``message``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: Sequence[FieldProblem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = tuple(fields)
        self.headers = dict(headers or {})

    @classmethod
    def not_found(cls, what: str, identifier: object) -> ApiError:
        """404 naming the missing thing and its id."""
        return cls(404, "not_found", f"no {what} {identifier}")

    @classmethod
    def invalid(cls, field: str, message: str, *, location: str = "query") -> ApiError:
        """422 naming one invalid field."""
        problem = {"field": field, "location": location, "message": message}
        return cls(422, "validation_error", f"{field}: {message}", fields=[problem])


def error_body(
    status: int, code: str, message: str, fields: Sequence[FieldProblem] = ()
) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"status": status, "error": code, "message": message, "fields": list(fields)}


def _response(error: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(error.status, error.code, error.message, error.fields),
        status_code=error.status,
        headers=error.headers,
    )


def _validation_fields(errors: Sequence[Any]) -> list[dict[str, str]]:
    problems = []
    for detail in errors:
        loc = [str(part) for part in detail.get("loc", ())]
        location = loc[0] if loc and loc[0] in _LOCATIONS else "body"
        path = loc[1:] if loc and loc[0] in _LOCATIONS else loc
        field = ".".join(path) or location
        message = str(detail.get("msg", "invalid"))
        if "input" in detail and detail.get("type") != "missing":
            shown = repr(detail["input"])
            message += f" (got {shown[:80]})"
        problems.append({"field": field, "location": location, "message": message})
    return problems


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a JSON error response."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _validation_fields(exc.errors())
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return _response(ApiError(422, "validation_error", message, fields=fields))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "not_found" if exc.status_code == 404 else "http_error"
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}"
        return _response(ApiError(exc.status_code, code, message, headers=exc.headers))

    @app.exception_handler(ContractValidationError)
    async def contract_error(request: Request, exc: ContractValidationError) -> JSONResponse:
        fields = [
            {"field": error.location or "body", "location": "body", "message": error.message}
            for error in exc.errors
        ]
        message = "; ".join(str(error) for error in exc.errors)
        return _response(ApiError(422, "validation_error", message, fields=fields))

    @app.exception_handler(TracktionError)
    async def tracktion_error(request: Request, exc: TracktionError) -> JSONResponse:
        if isinstance(exc, CatalogNotFoundError):
            return _response(ApiError(404, "not_found", str(exc)))
        if isinstance(exc, CatalogConflictError):
            return _response(ApiError(409, "conflict", str(exc)))
        if isinstance(exc, CatalogInputError):
            return _response(ApiError(422, "validation_error", str(exc)))
        context_of(request.app).metrics.errors.labels("backend").inc()
        if isinstance(exc, BackendUnavailableError):
            return _response(ApiError(503, "backend_unavailable", str(exc)))
        log.warning("backend error on %s %s: %s", request.method, request.url.path, exc)
        return _response(ApiError(502, "backend_error", str(exc)))
