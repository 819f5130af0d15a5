"""An account's events over WebSocket: orders, fills, positions and balances of one account the caller may read
(``accounts.read``: a trader's own, an IB's client's, any of a broker's tenant), pushed as they happen. The policy
is asked again at every event: a caller locked, moved in the tree or otherwise no longer allowed gets an error frame
with the policy's code and reason and the socket closes (1008), before any further event.

The socket is read only for flood control: more than 50 frames in a second closes it (1008). A terminal that falls
``QUEUE_LIMIT`` events behind is never left to miss one silently: it gets an error frame (``lagging``) and the
socket closes (1013, try again later), so it reconnects and reloads its orders."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from engine.bus import Bus
from engine.domain.instrument import Instrument
from engine.domain.policy import Action
from engine.domain.rejects import Rejection
from web.api.auth import Auth
from web.api.caller import Permissions
from web.api.numbers import money, price, quantity_text

log = structlog.get_logger("web.account_stream")

FRAMES_PER_SECOND = 50
QUEUE_LIMIT = 10_000   # a terminal this far behind is cut off rather than let to grow without bound
LAGGING = {"type": "error", "code": "lagging",
           "reason": f"more than {QUEUE_LIMIT} events behind: reconnect and reload the account's orders"}


class AccountStream:
    def __init__(self, bus: Bus, auth: Auth, oms_order: Callable[[str], Any],
                 instruments: Mapping[str, Instrument]) -> None:
        self.bus = bus
        self.auth = auth
        self.oms_order = oms_order   # order id -> its JSON now
        self.instruments = instruments   # the bus carries exact values: the socket rounds them as REST does
        self.permissions = Permissions(auth.directory)

    def routes(self, app: web.Application, path: str = "/api/stream/account") -> None:
        app.router.add_get(path, self.handle)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        caller = self.auth.caller(request)
        account = self.permissions.account(caller, request.query.get("account_id", ""), Action.ACCOUNTS_READ)
        policy, users = self.permissions.policy, self.permissions.directory.users
        socket = web.WebSocketResponse(heartbeat=20, max_msg_size=4096)
        await socket.prepare(request)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        tenant, account_id = account.tenant_id, account.account_id

        cut_off = False

        def cut(message: dict[str, Any]) -> None:
            """What is queued is dropped with the socket: the terminal reloads (or is told why it may not)."""
            nonlocal cut_off
            cut_off = True
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(message)

        def push(message: dict[str, Any]) -> None:
            if cut_off:
                return
            user = users.get(caller.user.user_id)
            refusal = policy.account(user, Action.ACCOUNTS_READ, account_id) if user is not None else \
                Rejection("forbidden", f"user {caller.user.user_id} is gone")
            if refusal is not None:
                log.warning("stream.revoked", account=account_id, user=caller.user.user_id, code=refusal.code)
                cut({"type": "error", "code": refusal.code, "reason": refusal.reason})
            elif queue.qsize() >= QUEUE_LIMIT:
                log.warning("stream.lagging", account=account_id, user=caller.user.user_id, queued=queue.qsize())
                cut(LAGGING)
            else:
                queue.put_nowait(message)

        unsubscribe = [
            self.bus.subscribe(f"orders.{tenant}.{account_id}",
                               lambda _, e: push(_order(self.oms_order(e["order_id"])))),
            self.bus.subscribe(f"positions.{tenant}.{account_id}", lambda _, e: push(self._position(e))),
            self.bus.subscribe(f"balances.{tenant}.{account_id}", lambda _, e: push({"type": "balance", "balances": {
                currency: money(value, currency) for currency, value in e.items()}})),
            self.bus.subscribe(f"executions.{tenant}", lambda _, e: push(self._fill(e, account.base_currency))
                               if e["account_id"] == account_id else None),
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

    def _position(self, event: dict[str, Any]) -> dict[str, Any]:
        instrument = self.instruments[event["symbol"]]
        return {"type": "position", **event, "quantity": quantity_text(instrument, event["quantity"]),
                "average_price": price(instrument, event["average_price"])}

    def _fill(self, event: dict[str, Any], currency: str) -> dict[str, Any]:
        """As GET .../fills has it: the commission in the account's currency's minor units."""
        instrument = self.instruments[event["symbol"]]
        return {"type": "fill", "exec_id": event["exec_id"], "order_id": event["order_id"],
                "cl_ord_id": event["cl_ord_id"], "symbol": event["symbol"], "side": event["side"].lower(),
                "quantity": quantity_text(instrument, event["quantity"]), "price": price(instrument, event["price"]),
                "commission": money(event["commission"], currency), "at": event["at"]}

    @staticmethod
    async def _write(socket: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with contextlib.suppress(ConnectionResetError):
            while True:
                message = await queue.get()
                await socket.send_str(orjson.dumps(message).decode())
                if message is LAGGING:
                    await socket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"lagging")
                    return
                if message["type"] == "error":
                    await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=message["code"].encode())
                    return




def _order(order: dict[str, Any]) -> dict[str, Any]:
    """The order's own ``type`` (market, limit, ...) moves to ``order_type``: ``type`` names the message."""
    return {**order, "type": "order", "order_type": order["type"]}
