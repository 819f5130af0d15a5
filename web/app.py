"""The web app: the trader's terminal (static files and the npm packages it imports), the public REST API, the
price and account WebSocket streams, and the OpenAPI document."""
from __future__ import annotations

from pathlib import Path

from aiohttp import hdrs, web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from backoffice.instruments import visible
from backoffice.office import BackOffice
from engine.bars import BarBuilder
from engine.services import Services
from engine.storage.access import SqlAccess
from routing.interceptors.spread_markup import SpreadMarkup
from routing.pricing import PriceFeed
from web.api.account_stream import AccountStream
from web.api.admin.base import Admin, back_office_errors
from web.api.admin.resources import resources
from web.api.auth import Auth
from web.api.caller import Permissions
from web.api.errors import ApiError, Handler, json_errors, json_response, no_route
from web.api.openapi import document
from web.api.orders import order_json
from web.api.rest import Rest
from web.api.stream import PriceStream

WEB = Path(__file__).resolve().parent
STATIC = WEB / "terminal" / "static"
ADMIN = WEB / "admin" / "static"   # the back-office panel
VENDOR = WEB / "node_modules"
VENDOR_PACKAGES = ("lightweight-charts", "gridstack", "@fontsource/noto-sans-sc", "@fontsource/noto-sans-devanagari")

SERVER = "dynamictech"   # not aiohttp's "Python/3.x aiohttp/3.y": no version for a scanner to match
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
       "connect-src 'self'; frame-ancestors 'none'")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@web.middleware
async def json_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The API reads JSON only: a body declared as anything else (a form, text, octet-stream) is a 415 before any
    handler parses it. No Content-Type at all is read as JSON, which is what the body must be anyway; an empty body
    (POST /api/keys) declares nothing whatever header a client library adds."""
    if (request.method in BODY_METHODS and request.path.startswith("/api/") and request.body_exists
            and hdrs.CONTENT_TYPE in request.headers and request.content_type != "application/json"):
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as application/json, not {request.content_type[:60]}")
    return await handler(request)


async def server_header(request: web.Request, response: web.StreamResponse) -> None:
    """Replace aiohttp's versioned Server header on every response the app prepares (WebSocket handshakes too)."""
    response.headers[hdrs.SERVER] = SERVER


def create_app(services: Services, feed: PriceFeed, markup: SpreadMarkup, bars: BarBuilder,
               access: SqlAccess, office: BackOffice) -> web.Application:
    auth = Auth(access, services.directory, services.clock)
    app = web.Application(middlewares=[security_headers, json_errors, back_office_errors, auth.middleware,
                                       json_bodies], client_max_size=256 * 1024)
    app.on_response_prepare.append(server_header)
    auth.routes(app)
    Rest(services, feed, markup, bars, auth, access).routes(app)
    admin = resources(Admin(office, auth))
    for resource in admin:
        resource.routes(app)

    async def audience(request: web.Request) -> tuple[str, str]:
        """The group whose prices the socket carries: ``?account_id``'s (one the caller may read), else the
        caller's own (``Permissions.prices``)."""
        return Permissions(services.directory).prices(auth.caller(request), request.query.get("account_id"))

    def offered(tenant_id: str, symbol: str) -> bool:
        """Read at each subscription: an instrument the back office lists is offered from then on."""
        instrument = services.oms.instruments.get(symbol)
        tenant = services.directory.tenants.get(tenant_id)
        return instrument is not None and bool(visible((instrument,), tenant))

    PriceStream(services.bus, offered, audience).routes(app)
    AccountStream(services.bus, auth, lambda order_id: order_json(services.oms.orders[order_id],
                                                                       services.oms.instruments),
                  services.oms.instruments).routes(app)
    openapi = document(admin)

    async def openapi_json(request: web.Request) -> web.Response:
        return json_response(openapi)

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def panel(request: web.Request) -> web.FileResponse:
        return web.FileResponse(ADMIN / "index.html")

    app.router.add_get("/api/openapi.json", openapi_json)
    if ADMIN.is_dir():
        app.router.add_get("/admin", panel)
        app.router.add_get("/admin/", panel)
        app.router.add_static("/admin/", ADMIN)
    app.router.add_static("/shared/", WEB.joinpath("shared", "static"))   # the modules both front ends import
    for package in VENDOR_PACKAGES:
        if (VENDOR / package).is_dir():
            app.router.add_static(f"/vendor/{package}/", VENDOR / package, follow_symlinks=False)
    app.router.add_route("*", r"/api/{rest:.*}", no_route)   # after every API route, before the static files
    if STATIC.is_dir():
        app.router.add_get("/", index)
        app.router.add_get("/t/{tenant}", index)   # a white-label tenant's own page (GET /api/brand)
        app.router.add_static("/", STATIC)
    return app


class _JsonErrorHandler(RequestHandler):
    """What aiohttp answers before any route runs (a request line or header too long, a malformed request) leaves
    as JSON with a code and a reason too, like every other error, instead of aiohttp's plain text."""

    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)   # logs it, and raises if a response has begun
        code = {400: "bad_request", 413: "too_large", 431: "headers_too_large"}.get(status, "http_error")
        reason = "the server failed; nothing was changed by this request" if status == 500 else \
            (message or "malformed HTTP request").splitlines()[0][:200]
        response = json_response({"code": code, "reason": reason}, status)
        response.headers[hdrs.SERVER] = SERVER   # no app runs here, so no on_response_prepare either
        response.force_close()
        return response


class _JsonErrorServer(Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class Runner(web.AppRunner):
    """The app's runner, with JSON answers for requests aiohttp refuses before routing."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorServer
        return server


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Listen on ``host:port`` (0: any free port); returns the runner to clean up and the port taken."""
    runner = Runner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
