"""Building blocks of the OpenAPI document, shared by the public API's part and the back office's."""
from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def record(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict[str, Any]:
    meaning = {400: "malformed request", 401: "not logged in or bad signature",
               403: "not yours, or not allowed to your role",
               404: "no such thing", 409: "the state of what it names does not allow it", 413: "too large",
               415: "the body is not application/json", 422: "the change breaks a rule (the reason names it)",
               429: "too many failed logins from this login or address: wait Retry-After seconds"}
    return {str(s): {"description": meaning[s], **content(ref("Error"))} for s in statuses}


def ok(status: int, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {str(status): {"description": description, **content(schema)}}
