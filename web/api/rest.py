"""The public REST API (the contract is web/api/openapi.py's document): reference data, prices, bars and depth for
the caller's group; accounts, balances, positions, orders and fills of the accounts the policy lets the caller read
(``accounts.read``: its own, an IB's subtree, a broker's tenant, an admin's region, everything for a super admin),
orders placed, amended and canceled on those it may trade on (``accounts.trade``)."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from backoffice.instruments import visible
from engine.bars import INTERVALS, BarBuilder
from engine.domain.policy import Action
from engine.domain.tenancy import Account
from engine.ledger import wallet
from engine.services import Services
from engine.storage.access import SqlAccess
from routing.interceptors.spread_markup import SpreadMarkup, on_tick
from routing.pricing import PriceFeed, topic_symbol
from web.api.auth import Auth
from web.api.caller import Caller, Permissions
from web.api.errors import ApiError, json_response
from web.api.history import PERIODS, History, statuses, window
from web.api.market_hours import market_json
from web.api.numbers import money, price, quantity, quote_json
from web.api.orders import bad, identifier, new_order, order_json, replacement

MAX_LAYOUT = 64 * 1024
BACKFILL_WAIT = 5.0   # seconds a first chart waits for the venue's past bars
REFUSALS = {"unknown_order": 404}   # every other refused cancel or replace is a conflict with the order's state


class Rest:
    def __init__(self, services: Services, feed: PriceFeed, markup: SpreadMarkup, bars: BarBuilder, auth: Auth,
                 access: SqlAccess) -> None:
        self.oms = services.oms
        self.bus = services.bus
        self.ready = services.ready
        self.clock = services.clock
        self.feed = feed
        self.markup = markup
        self.bar_builder = bars
        self.auth = auth
        self.access = access
        self.directory = services.directory
        self.permissions = Permissions(services.directory)
        self.history = History(services.oms)

    def routes(self, app: web.Application) -> None:
        add = app.router
        add.add_get("/api/instruments", self.instruments)
        add.add_get("/api/quotes", self.quotes)
        add.add_get("/api/bars", self.bars)
        add.add_get("/api/depth", self.depth)
        add.add_get("/api/accounts", self.accounts)
        add.add_get("/api/accounts/{account_id}/balances", self.balances)
        add.add_get("/api/accounts/{account_id}/positions", self.positions)
        add.add_get("/api/accounts/{account_id}/orders", self.orders)
        add.add_post("/api/accounts/{account_id}/orders", self.place)
        # FIX lets a ClOrdID hold "{", "}" and "/", which aiohttp's default "[^{}/]+" would not match (a 405): the
        # client percent-encodes the id and the route takes the rest of the path, line breaks too, so that
        # ``identifier`` answers a bad one with a reason.
        add.add_delete(r"/api/accounts/{account_id}/orders/{cl_ord_id:[\s\S]+}", self.cancel)
        add.add_patch(r"/api/accounts/{account_id}/orders/{cl_ord_id:[\s\S]+}", self.amend)
        add.add_get("/api/accounts/{account_id}/fills", self.fills)
        add.add_get("/api/accounts/{account_id}/pnl", self.pnl)
        add.add_get("/api/layout", self.get_layout)
        add.add_put("/api/layout", self.put_layout)

    # ---------------------------------------------------------------- helpers
    def _caller(self, request: web.Request) -> Caller:
        return self.auth.caller(request)

    def _account(self, request: web.Request, action: Action) -> Account:
        return self.permissions.account(self._caller(request), request.match_info["account_id"], action)

    def _symbol(self, request: web.Request) -> str:
        symbol = request.query.get("symbol", "")
        if symbol not in self.oms.instruments:
            raise ApiError(404, "unknown_symbol", f"{symbol!r} is not traded here")
        return symbol

    @staticmethod
    async def _body(request: web.Request) -> Any:
        try:
            return orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            raise bad("the body is not JSON") from None

    @staticmethod
    def _limit(request: web.Request, default: int, most: int) -> int:
        try:
            limit = int(request.query.get("limit", default))
        except ValueError:
            raise bad("limit must be a whole number") from None
        if not 1 <= limit <= most:
            raise bad(f"limit must be between 1 and {most}")
        return limit

    # ---------------------------------------------------------------- reference data and prices
    async def instruments(self, request: web.Request) -> web.Response:
        """What the caller's tenant may trade (its allowed instruments, its own listings); platform staff see
        everything."""
        tenant = self.directory.tenants.get(self._caller(request).user.tenant_id)
        now = self.clock()
        return json_response([{
            "symbol": i.symbol, "asset_class": i.asset_class.value, "base_currency": i.base_currency,
            "quote_currency": i.quote_currency, "tick_size": str(i.tick_size), "lot_step": str(i.lot_step),
            "min_quantity": str(i.min_quantity), "max_quantity": str(i.max_quantity),
            "contract_size": str(i.contract_size), "market": i.market.value if i.market else None,
            "board_lot": str(i.board_lot) if i.board_lot is not None else None,
            "market_hours": market_json(i, now),
        } for i in visible(self.oms.instruments.values(), tenant)])

    async def quotes(self, request: web.Request) -> web.Response:
        tenant, group = self.permissions.prices(self._caller(request))
        wanted = [s for s in request.query.get("symbols", "").split(",") if s] or list(self.oms.instruments)
        unknown = [s for s in wanted if s not in self.oms.instruments]
        if unknown:
            raise ApiError(404, "unknown_symbol", f"not traded here: {', '.join(unknown)}")
        out = []
        for symbol in wanted:
            last = self.bus.last(f"quotes.{tenant}.{group}.{topic_symbol(symbol)}")
            if last is not None:
                out.append(quote_json(self.oms.instruments[symbol], last))
        return json_response(out)

    async def bars(self, request: web.Request) -> web.Response:
        tenant, group = self.permissions.prices(self._caller(request))
        symbol = self._symbol(request)
        interval = request.query.get("interval", "1m")
        if interval not in INTERVALS:
            raise bad(f"interval must be one of {', '.join(INTERVALS)}")
        backfill = self.bar_builder.backfill
        if backfill is not None:   # the venue's past, the first time: waited for a little, then left to finish
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(backfill.fill(tenant, group, symbol, interval)), BACKFILL_WAIT)
        bars = self.bar_builder.history(tenant, group, topic_symbol(symbol), interval, self._limit(request, 500, 5000))
        instrument = self.oms.instruments[symbol]
        return json_response([{"start": b.start.isoformat(), "open": price(instrument, b.open),
                               "high": price(instrument, b.high), "low": price(instrument, b.low),
                               "close": price(instrument, b.close), "ticks": b.ticks} for b in bars])

    async def depth(self, request: web.Request) -> web.Response:
        tenant, group = self.permissions.prices(self._caller(request))
        symbol = self._symbol(request)
        rule = self.markup.markup(tenant, group, symbol)
        instrument = self.oms.instruments[symbol]
        pip, tick = instrument.pip, instrument.tick_size
        bids, asks = self.feed.depth(symbol)   # marked up as the quote is, and on the tick, so depth and ticket agree
        return json_response({
            "bids": [[str(on_tick(p - rule.on_bid(p, pip), tick, up=False)), str(s)] for p, s in bids],
            "asks": [[str(on_tick(p + rule.on_ask(p, pip), tick, up=True)), str(s)] for p, s in asks]})

    # ---------------------------------------------------------------- accounts
    async def accounts(self, request: web.Request) -> web.Response:
        """The caller's own accounts; ``?scope=all``: every account it may read (an IB's clients, a broker's
        tenant)."""
        caller = self._caller(request)
        scope = request.query.get("scope", "own")
        if scope not in ("own", "all"):
            raise bad("scope must be own or all")
        out = []
        for account in self.permissions.accounts(caller, everything=scope == "all"):
            margin = self.oms.margin(account.account_id)
            out.append({"account_id": account.account_id, "tenant_id": account.tenant_id,
                        "user_id": account.user_id, "base_currency": account.base_currency,
                        "leverage": str(account.leverage), "position_mode": account.position_mode.value,
                        "group_id": account.group_id, "balance": _money(margin.balance, account),
                        "equity": _money(margin.equity, account),
                        "used_margin": _money(margin.used_margin, account),
                        "free_margin": _money(margin.free_margin, account),
                        "margin_level": str(margin.margin_level) if margin.margin_level is not None else None})
        return json_response(out)

    async def balances(self, request: web.Request) -> web.Response:
        account = self._account(request, Action.ACCOUNTS_READ)
        balances = self.oms.accounting.ledger.balances(wallet(account.account_id))
        return json_response({currency: money(value, currency) for currency, value in balances.items()})

    async def positions(self, request: web.Request) -> web.Response:
        account = self._account(request, Action.ACCOUNTS_READ)
        accounting = self.oms.accounting
        out = []
        for position in accounting.positions.of_account(account.account_id):
            instrument = self.oms.instruments[position.symbol]
            mark = accounting.marks.get(position.symbol, position.average_price)
            pnl = position.unrealised(mark, instrument.contract_size) * accounting.rate(instrument.quote_currency,
                                                                                  account.base_currency)
            out.append({"position_id": position.position_id, "symbol": position.symbol,
                        "quantity": quantity(instrument, position.quantity),
                        "average_price": price(instrument, position.average_price),
                        "mark": price(instrument, mark), "unrealised_pnl": _money(pnl, account)})
        return json_response(out)

    async def orders(self, request: web.Request) -> web.Response:
        """Newest first: the open orders from memory, or (``state=all``) the history on disk; either searched by
        ``from``/``to`` (when placed), ``symbol`` and ``status`` and paged with ``before`` (a page's last order
        id)."""
        account = self._account(request, Action.ACCOUNTS_READ)
        state = request.query.get("state", "open")
        if state not in ("open", "all"):
            raise bad("state must be open or all")
        query = request.query
        search = self.history.orders if state == "all" else self.history.open_orders
        orders = search(account, window(query), statuses(query),
                        identifier(query["before"], "before") if "before" in query else None,
                        self._limit(request, 1000, 1000))
        return json_response([order_json(o, self.oms.instruments) for o in orders])

    async def place(self, request: web.Request) -> web.Response:
        received_at = self.clock()
        account = self._account(request, Action.ACCOUNTS_TRADE)
        request_order = dataclasses.replace(new_order(await self._body(request), account.account_id),
                                            received_at=received_at)
        await self.ready.wait()
        order = await self.oms.submit(request_order)
        return json_response(order_json(order, self.oms.instruments), status=201)

    async def cancel(self, request: web.Request) -> web.Response:
        account = self._account(request, Action.ACCOUNTS_TRADE)
        cl_ord_id = identifier(request.match_info["cl_ord_id"], "cl_ord_id")
        refused = await self.oms.cancel(account.account_id, cl_ord_id)
        return self._after_request(account.account_id, cl_ord_id, refused)

    async def amend(self, request: web.Request) -> web.Response:
        account = self._account(request, Action.ACCOUNTS_TRADE)
        cl_ord_id = identifier(request.match_info["cl_ord_id"], "cl_ord_id")
        quantity, price, stop_price = replacement(await self._body(request))
        refused = await self.oms.replace(account.account_id, cl_ord_id, quantity, price, stop_price)
        return self._after_request(account.account_id, cl_ord_id, refused)

    def _after_request(self, account_id: str, cl_ord_id: str, refused: Any) -> web.Response:
        if refused is not None:
            raise ApiError(REFUSALS.get(refused.code, 409), refused.code, refused.reason)
        order = self.oms.find(account_id, cl_ord_id)
        assert order is not None
        return json_response(order_json(order, self.oms.instruments), status=202)

    async def fills(self, request: web.Request) -> web.Response:
        account = self._account(request, Action.ACCOUNTS_READ)
        return json_response(self.history.fills(account, window(request.query), self._limit(request, 200, 5000)))

    async def pnl(self, request: web.Request) -> web.Response:
        account = self._account(request, Action.ACCOUNTS_READ)
        by = request.query.get("by", "day")
        if by not in PERIODS:
            raise bad(f"by must be one of {', '.join(PERIODS)}")
        if "symbol" in request.query:
            raise bad("the P&L summary is of the whole account: no symbol")
        return json_response(self.history.pnl(account, window(request.query), by))

    # ---------------------------------------------------------------- layout
    async def get_layout(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        saved = self.access.layout(caller.user.user_id)
        return json_response({"layout": orjson.loads(saved) if saved is not None else None})

    async def put_layout(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        raw = await request.read()
        if len(raw) > MAX_LAYOUT:
            raise ApiError(413, "too_large", f"a layout is at most {MAX_LAYOUT} bytes")
        body = await self._body(request)
        if not isinstance(body, dict) or body.keys() != {"layout"}:
            raise bad('send {"layout": ...}')
        self.access.save_layout(caller.user.user_id, orjson.dumps(body["layout"]).decode())
        return web.Response(status=204)


def _money(value: Decimal, account: Account) -> str:
    return money(value, account.base_currency)
