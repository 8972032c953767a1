"""Errors as `application/problem+json` (RFC 9457), mapped once for the whole API.

Every error answer has `type, title, status, detail`; validation errors add
`errors: [{field, message}]`. Domain errors keep their clerk-readable message as `detail`.
"""

from __future__ import annotations

import logging

import orjson
from django.http import Http404, HttpRequest, HttpResponse
from eventsourcing.persistence import OperationalError as StoreOperationalError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from domain import errors as domain

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}
PROBLEM_TYPE = "https://casetrack.example/problems/"


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict = {
        "type": PROBLEM_TYPE + (kind or TITLES.get(status, "error").lower().replace(" ", "-")),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        orjson.dumps(body), status=status, content_type="application/problem+json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def too_many_requests(detail: str, retry_after_s: int) -> HttpResponse:
    """429 from the rate limiter (docs/api.md, "Rate limits"): retry after that many seconds."""
    return problem(429, detail, headers={"Retry-After": str(max(1, retry_after_s))})


def limiter_unavailable(retry_after_s: int = 5) -> HttpResponse:
    """503 when the rate limiter's store cannot be asked: limited endpoints fail closed."""
    return problem(
        503,
        "The rate limiter is unavailable, so this request cannot be served now; nothing was "
        "recorded. Try again shortly.",
        kind="service-unavailable",
        headers={"Retry-After": str(retry_after_s)},
    )


def _field(loc: list) -> str:
    # ninja locations start with the source ("body", "query", "path"); the payload model's
    # name may follow for a body parameter. Keep the part the client wrote.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
        if parts and parts[0] in {"payload", "data", "body"}:
            parts = parts[1:]
    # Lists are indexed as the clients write them: materials[0].code.
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() and text else (f".{part}" if text else part)
    return text or "body"


def validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": _field(list(e.get("loc", []))), "message": e.get("msg", "invalid")}
        for e in exc.errors
    ]


def document_problem_media_type(schema: dict) -> dict:
    """ninja documents every response as the renderer's `application/json`; error answers
    are `application/problem+json`, so say so (schema checkers compare content types)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if int(status) >= 400 and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return schema


def install(api: NinjaAPI) -> None:
    build_schema = api.get_openapi_schema

    def get_openapi_schema(*args, **kwargs):
        return document_problem_media_type(build_schema(*args, **kwargs))

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError):
        errors = validation_errors(exc)
        return problem(
            422, "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        )

    @api.exception_handler(AuthenticationError)
    def on_authentication(request: HttpRequest, exc: AuthenticationError):
        return problem(
            401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
        )

    @api.exception_handler(AuthorizationError)
    def on_authorization(request: HttpRequest, exc: AuthorizationError):
        return problem(
            403,
            exc.message if exc.message != "Forbidden" else "Your role may not call this endpoint.",
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError):
        if exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
            # ninja's answer to a body that is not JSON: name the field like any other.
            return problem(
                400,
                "The request body is not valid JSON.",
                errors=[{"field": "body", "message": "must be a JSON object"}],
            )
        return problem(exc.status_code, exc.message)

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404):
        return problem(404, str(exc) or "No such record.")

    @api.exception_handler(domain.NotFound)
    def on_not_found(request: HttpRequest, exc: domain.NotFound):
        return problem(404, exc.message)

    @api.exception_handler(domain.InvalidInput)
    def on_invalid(request: HttpRequest, exc: domain.InvalidInput):
        return problem(422, exc.message, errors=exc.errors)

    @api.exception_handler(domain.Conflict)
    def on_conflict(request: HttpRequest, exc: domain.Conflict):
        return problem(409, exc.message, kind=_kind(exc))

    @api.exception_handler(domain.DomainError)
    def on_domain(request: HttpRequest, exc: domain.DomainError):
        return problem(422, exc.message)

    @api.exception_handler(StoreOperationalError)
    def on_store_unavailable(request: HttpRequest, exc: StoreOperationalError):
        # The event store is busy or unreachable (no pooled connection or writer in time, a
        # locked SQLite file, PostgreSQL gone): the transaction appended nothing; retry.
        log.warning("event store unavailable for %s %s: %s", request.method, request.path, exc)
        response = problem(
            503, "The event store is busy or unavailable; nothing was recorded. Try again shortly."
        )
        response["Retry-After"] = "1"
        return response


def _kind(exc: Exception) -> str:
    name = type(exc).__name__
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
