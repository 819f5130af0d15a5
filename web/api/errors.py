"""Every error leaves as JSON with a code and a reason, whatever raised it."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
import structlog
from aiohttp import web
from aiohttp.web_urldispatcher import StaticResource

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
        allow = error.headers.get("Allow")   # a 405 says which methods the path takes (RFC 9110)
        raise ApiError(error.status_code, code, error.reason, headers={"Allow": allow} if allow else None) from None
    except Exception:
        log.exception("api.unhandled", path=request.path, method=request.method)
        raise ApiError(500, "internal_error", "the server failed; nothing was changed by this request") from None


async def no_route(request: web.Request) -> web.StreamResponse:
    """Every /api/ path and method no route takes: a 405 with the methods the path's routes do take, else a 404,
    as JSON. Registered after the API's routes and before the terminal's static files, served from "/", which
    would otherwise answer GET on any path (an empty 404) and add GET and HEAD to every Allow header."""
    methods: set[str] = set()
    for resource in request.app.router.resources():
        if isinstance(resource, StaticResource) or resource is request.match_info.route.resource:
            continue
        methods |= (await resource.resolve(request))[1]
    if methods:
        raise ApiError(405, "method_not_allowed", f"{request.method} is not taken here: {', '.join(sorted(methods))}",
                       headers={"Allow": ",".join(sorted(methods))})
    raise ApiError(404, "not_found", f"there is no {request.path[:100]}")
