"""A trader's own events over WebSocket: orders, fills, positions and balances of one of their accounts, pushed as
they happen. The socket is read only for flood control: more than 50 frames in a second closes it (1008). A
terminal that falls ``QUEUE_LIMIT`` events behind is never left to miss one silently: it gets an error frame
(``lagging``) and the socket closes (1013, try again later), so it reconnects and reloads its orders."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import orjson
import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from engine.bus import Bus
from web.api.auth import Auth

log = structlog.get_logger("web.account_stream")

FRAMES_PER_SECOND = 50
QUEUE_LIMIT = 10_000   # a terminal this far behind is cut off rather than let to grow without bound
LAGGING = {"type": "error", "code": "lagging",
           "reason": f"more than {QUEUE_LIMIT} events behind: reconnect and reload the account's orders"}


class AccountStream:
    def __init__(self, bus: Bus, auth: Auth, oms_order: Callable[[str], Any]) -> None:
        self.bus = bus
        self.auth = auth
        self.oms_order = oms_order   # order id -> its JSON now

    def routes(self, app: web.Application, path: str = "/api/stream/account") -> None:
        app.router.add_get(path, self.handle)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        caller = self.auth.caller(request)
        account = caller.account(request.query.get("account_id", ""))
        socket = web.WebSocketResponse(heartbeat=20, max_msg_size=4096)
        await socket.prepare(request)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        tenant, account_id = account.tenant_id, account.account_id

        cut_off = False

        def push(message: dict[str, Any]) -> None:
            nonlocal cut_off
            if cut_off:
                return
            if queue.qsize() >= QUEUE_LIMIT:   # what is queued is dropped with the socket: the terminal reloads
                cut_off = True
                log.warning("stream.lagging", account=account_id, user=caller.user.user_id, queued=queue.qsize())
                while not queue.empty():
                    queue.get_nowait()
                message = LAGGING
            queue.put_nowait(message)

        unsubscribe = [
            self.bus.subscribe(f"orders.{tenant}.{account_id}",
                               lambda _, e: push(_order(self.oms_order(e["order_id"])))),
            self.bus.subscribe(f"positions.{tenant}.{account_id}", lambda _, e: push({"type": "position", **e})),
            self.bus.subscribe(f"balances.{tenant}.{account_id}", lambda _, e: push({"type": "balance",
                                                                                    "balances": e})),
            self.bus.subscribe(f"executions.{tenant}", lambda _, e: push(_fill(e)) if e["account_id"] == account_id
                               else None),
        ]
        writer = asyncio.create_task(self._write(socket, queue))
        window, frames = time.monotonic(), 0
        try:
            async for frame in socket:
                if frame.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
                now = time.monotonic()
                if now - window >= 1:
                    window, frames = now, 0
                frames += 1
                if frames > FRAMES_PER_SECOND:
                    log.warning("stream.flood", account=account_id, user=caller.user.user_id)
                    await socket.send_str(orjson.dumps({"type": "error", "code": "flood", "reason":
                                                        f"more than {FRAMES_PER_SECOND} frames a second"}).decode())
                    await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"flood")
                    break
        finally:
            for stop in unsubscribe:
                stop()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return socket

    @staticmethod
    async def _write(socket: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with contextlib.suppress(ConnectionResetError):
            while True:
                message = await queue.get()
                await socket.send_str(orjson.dumps(message).decode())
                if message is LAGGING:
                    await socket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"lagging")
                    return


def _fill(event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "fill", "exec_id": event["exec_id"], "order_id": event["order_id"],
            "cl_ord_id": event["cl_ord_id"], "symbol": event["symbol"], "side": event["side"].lower(),
            "quantity": event["quantity"], "price": event["price"], "commission": event["commission"],
            "at": event["at"]}


def _order(order: dict[str, Any]) -> dict[str, Any]:
    """The order's own ``type`` (market, limit, ...) moves to ``order_type``: ``type`` names the message."""
    return {**order, "type": "order", "order_type": order["type"]}
