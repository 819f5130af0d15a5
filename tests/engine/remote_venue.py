"""The in-memory venue behind a loopback socket, so it outlives a hub killed with SIGKILL.

One JSON object a line. Hub to venue: {"op": "place", "order": {...}}, {"op": "status", "id": n, "order": {...}}.
Venue to hub: {"report": {...}}, {"status": n, "report": {...} or null}.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from adapters.memory import MemoryVenue
from adapters.memory.execution import OFFERS
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.ports import Health, Quote, ReportKind, VenueOrder, VenueReport


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value"):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def order_to_json(order: VenueOrder) -> dict[str, Any]:
    return {f.name: _plain(getattr(order, f.name)) for f in dataclasses.fields(order)}


def order_from_json(o: dict[str, Any]) -> VenueOrder:
    return VenueOrder(o["order_id"], o["symbol"], Side(o["side"]), OrdType(o["ord_type"]), Decimal(o["quantity"]),
                      TimeInForce(o["time_in_force"]), Decimal(o["price"]) if o["price"] else None,
                      Decimal(o["stop_price"]) if o["stop_price"] else None)


def report_to_json(report: VenueReport) -> dict[str, Any]:
    return {f.name: _plain(getattr(report, f.name)) for f in dataclasses.fields(report)}


def report_from_json(data: dict[str, Any]) -> VenueReport:
    return VenueReport(venue=data["venue"], kind=ReportKind(data["kind"]), order_id=data["order_id"],
                       venue_order_id=data["venue_order_id"], exec_id=data["exec_id"],
                       last_quantity=Decimal(data["last_quantity"]), last_price=Decimal(data["last_price"]),
                       status=OrdStatus(data["status"]) if data["status"] else None, reason=data["reason"],
                       code=data["code"], at=dt.datetime.fromisoformat(data["at"]))


async def serve_venue(venue: MemoryVenue) -> asyncio.Server:
    """Serve ``venue`` on a loopback port; each new hub connection takes over the reports."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        venue.forget_subscribers()
        venue.on_report(lambda report: writer.write(json.dumps({"report": report_to_json(report)}).encode() + b"\n"))
        while line := await reader.readline():
            request = json.loads(line)
            if request["op"] == "place":
                await venue.place(order_from_json(request["order"]))
            elif request["op"] == "status":
                status = await venue.order_status(order_from_json(request["order"]))
                writer.write(json.dumps({"status": request["id"],
                                         "report": report_to_json(status) if status else None}).encode() + b"\n")

    return await asyncio.start_server(handle, "127.0.0.1", 0)


class RemoteVenue:
    """The hub's side: the venue contract over the socket."""

    offers = OFFERS   # the in-memory venue's

    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.port = port
        self._callbacks: list[Callable[[VenueReport], None]] = []
        self._waiting: dict[int, asyncio.Future[VenueReport | None]] = {}
        self._next = 0
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        asyncio.get_running_loop().create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if "report" in message and "status" not in message:
                report = report_from_json(message["report"])
                for callback in self._callbacks:
                    callback(report)
            else:
                found = message["report"]
                self._waiting.pop(message["status"]).set_result(report_from_json(found) if found else None)

    def on_report(self, callback: Callable[[VenueReport], None]) -> None:
        self._callbacks.append(callback)

    def instruments(self) -> list[str]:
        return []

    def quote(self, symbol: str) -> Quote | None:
        return None

    def health(self) -> Health:
        return Health(connected=self._writer is not None)

    async def place(self, order: VenueOrder) -> None:
        assert self._writer is not None
        self._writer.write(json.dumps({"op": "place", "order": order_to_json(order)}).encode() + b"\n")

    async def cancel(self, order_id: str) -> None:
        raise NotImplementedError("the crash test sends market orders only")

    async def replace(self, order_id: str, quantity: Decimal, price: Decimal | None) -> None:
        raise NotImplementedError("the crash test sends market orders only")

    async def order_status(self, order: VenueOrder) -> VenueReport | None:
        assert self._writer is not None
        self._next += 1
        future: asyncio.Future[VenueReport | None] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = future
        self._writer.write(json.dumps({"op": "status", "id": self._next,
                                       "order": order_to_json(order)}).encode() + b"\n")
        return await future
