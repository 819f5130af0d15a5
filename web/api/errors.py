"""Every error leaves as JSON with a code and a reason, whatever raised it."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
import structlog
from aiohttp import web

log = structlog.get_logger("web.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(web.HTTPException):
    def __init__(self, status: int, code: str, reason: str, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        super().__init__(headers=headers, text=orjson.dumps({"code": code, "reason": reason}).decode(),
                         content_type="application/json")


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError:
        raise
    except web.HTTPException as error:
        if error.status_code < 400 or error.content_type == "application/json":
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(error.status_code, "http_error")
        raise ApiError(error.status_code, code, error.reason) from None
    except Exception:
        log.exception("api.unhandled", path=request.path, method=request.method)
        raise ApiError(500, "internal_error", "the server failed; nothing was changed by this request") from None
