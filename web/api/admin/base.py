"""What every admin resource shares: the acting user, the JSON body, the answer to a refused change, and the
resource's contract (its routes and its part of the OpenAPI document)."""
from __future__ import annotations

import re
from typing import Any, Protocol

import orjson
from aiohttp import web

from backoffice.office import BackOffice, BackOfficeError
from engine.domain.tenancy import User
from web.api.auth import Auth
from web.api.errors import ApiError, Handler

STATUS = {"refused": 403, "invalid": 422, "not_found": 404, "conflict": 409}
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"   # ids a broker chooses: tenants, users, groups, accounts
_ID = re.compile(ID_PATTERN)


class Resource(Protocol):
    """One resource of /api/admin/: ``routes`` adds its handlers; ``paths`` and ``schemas`` are its part of
    /api/openapi.json."""

    def routes(self, app: web.Application) -> None: ...

    def paths(self) -> dict[str, Any]: ...

    def schemas(self) -> dict[str, Any]: ...


class Admin:
    """Handed to each resource: the back office and who is calling."""

    def __init__(self, office: BackOffice, auth: Auth) -> None:
        self.office = office
        self.auth = auth

    def actor(self, request: web.Request) -> User:
        """The logged-in user, as the directory holds it now (a role changed or a lock applies at once)."""
        return self.office.user(self.auth.caller(request).user.user_id)

    @staticmethod
    async def body(request: web.Request) -> dict[str, Any]:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            raise ApiError(400, "bad_request", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "bad_request", "the body must be a JSON object")
        return body

    @staticmethod
    def identifier(value: Any, field: str) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise ApiError(400, f"bad_{field}", f"{field} must be 1-64 letters, digits, '.', '_' or '-', starting "
                                                "with a letter or digit")
        return value


def whole_number(value: Any) -> int | None:
    """A JSON whole number (6, and 6.0, which JSON Schema's integer admits), else None; true and false are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


@web.middleware
async def back_office_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A refused or invalid change leaves as JSON with its code and reason, with the status its kind names."""
    try:
        return await handler(request)
    except BackOfficeError as error:
        raise ApiError(STATUS[error.kind], error.rejection.code, error.rejection.reason) from None
