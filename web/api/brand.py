"""GET /api/brand: whose terminal this is, before anyone logs in. The tenant whose path the page was opened at
(``?path=/t/<name>``), else the tenant whose host name the browser asked for (the Host header), else the platform's
own brand. Public: a name, a logo and colours are what the login page shows anyway."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.domain.tenancy import Brand, Directory, Tenant
from web.api.errors import json_response
from web.api.schema import ok, record

PLATFORM_NAME = "DynamicTech"


class BrandResource:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/brand", self.brand)

    def tenant_for(self, host: str, path: str | None) -> Tenant | None:
        tenants = self.directory.tenants.values()
        if path:
            for tenant in tenants:
                if tenant.brand.path and tenant.brand.path == path:
                    return tenant
        name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
        for tenant in tenants:
            if tenant.brand.domain and tenant.brand.domain == name:
                return tenant
        return None

    async def brand(self, request: web.Request) -> web.Response:
        tenant = self.tenant_for(request.host, request.query.get("path"))
        brand = tenant.brand if tenant is not None else Brand()
        return json_response({"tenant_id": tenant.tenant_id if tenant is not None else None,
                              "name": tenant.name if tenant is not None else PLATFORM_NAME,
                              "logo_url": brand.logo_url, "primary_colour": brand.primary_colour,
                              "accent_colour": brand.accent_colour, "language": brand.language})

    def paths(self) -> dict[str, Any]:
        return {"/api/brand": {"get": {
            "summary": "The brand of the tenant this page belongs to (by ?path=/t/<name>, else the Host header), "
                       "else the platform's",
            "security": [],
            "parameters": [{"name": "path", "in": "query", "required": False,
                            "schema": {"type": "string"}}],
            "responses": ok(200, {"$ref": "#/components/schemas/Brand"}, "the brand")}}}

    def schemas(self) -> dict[str, Any]:
        text = {"type": "string"}
        return {"Brand": record({"tenant_id": {"type": ["string", "null"]}, "name": text, "logo_url": text,
                                 "primary_colour": text, "accent_colour": text, "language": text})}
