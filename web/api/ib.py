"""The IB's own view, read only (``commissions.read``): its clients and what they traded, and what it earned on each
fill, pending or paid. An IB sees its own subtree; a broker or an admin passes ``?ib=<user_id>`` to see an IB's view
within its scope (an IB may too, for an IB below it)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from aiohttp import web

from backoffice.office import NotFound
from engine.domain.policy import Action, Target
from engine.domain.tenancy import User
from engine.storage.rebates import SqlRebates
from web.api.admin.base import ID_PATTERN, Admin
from web.api.errors import ApiError, json_response
from web.api.numbers import price
from web.api.schema import errors, ok, record, ref

MOST_FILLS = 5000


class IbView:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.store = SqlRebates(admin.office.unit)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/ib/clients", self.clients)
        app.router.add_get("/api/ib/earnings", self.earnings)

    async def clients(self, request: web.Request) -> web.Response:
        ib, since, until = self._view(request)
        office = self.admin.office
        directory, instruments = office.directory, office.live.instruments
        accruals = self.store.accruals([ib.user_id], since, until)
        rebates: dict[str, Decimal] = defaultdict(Decimal)
        for accrual in accruals:
            rebates[accrual.account_id] += accrual.amount
        clients = sorted(directory.subtree(ib.user_id) - {ib.user_id})
        accounts = {user: directory.accounts_of(user) for user in clients}
        traded: dict[str, dict[str, Any]] = {}
        for fill in self.store.traded([a.account_id for owned in accounts.values() for a in owned], since, until):
            row = traded.setdefault(fill.account_id, {"fills": 0, "lots": Decimal(0),
                                                      "notional": defaultdict(Decimal),
                                                      "markup": defaultdict(Decimal), "commission": Decimal(0)})
            instrument = instruments.get(fill.symbol)
            row["fills"] += 1
            row["lots"] += fill.quantity / instrument.board_lot if instrument and instrument.board_lot \
                else fill.quantity
            quote = instrument.quote_currency if instrument else "?"
            contract = instrument.contract_size if instrument else Decimal(1)
            row["notional"][quote] += fill.quantity * contract * fill.price
            row["markup"][quote] += fill.markup
            row["commission"] += fill.commission
        answer = []
        for user_id in clients:
            user = directory.users[user_id]
            rows = []
            for account in accounts[user_id]:
                row = traded.get(account.account_id, {"fills": 0, "lots": Decimal(0), "notional": {},
                                                      "markup": {}, "commission": Decimal(0)})
                rows.append({"account_id": account.account_id, "currency": account.base_currency,
                             "group_id": account.group_id, "fills": row["fills"], "lots": str(row["lots"]),
                             "notional": _amounts(row["notional"]), "markup": _amounts(row["markup"]),
                             "commission": str(row["commission"]),
                             "rebate": str(rebates.get(account.account_id, Decimal(0)))})
            answer.append({"user_id": user_id, "name": user.name, "role": user.role.value,
                           "referrer_id": user.referrer_id, "accounts": rows})
        return json_response({"ib": ib.user_id, "since": since.isoformat(), "until": until.isoformat(),
                              "clients": answer})

    async def earnings(self, request: web.Request) -> web.Response:
        ib, since, until = self._view(request)
        accruals = self.store.accruals([ib.user_id], since, until)
        totals: dict[str, dict[str, Decimal]] = {"pending": defaultdict(Decimal), "paid": defaultdict(Decimal)}
        for accrual in accruals:
            totals["paid" if accrual.payout else "pending"][accrual.currency] += accrual.amount
        listed = self.admin.office.live.instruments
        fills = [{"exec_id": a.exec_id, "account_id": a.account_id, "symbol": a.symbol, "quantity": str(a.quantity),
                  "price": price(listed[a.symbol], a.price) if a.symbol in listed else str(a.price),
                  "rebate": str(a.amount), "currency": a.currency,
                  "status": "paid" if a.payout else "pending", "at": a.at.isoformat(),
                  "paid_at": a.paid_at.isoformat() if a.paid_at else None, "payout": a.payout}
                 for a in accruals[-MOST_FILLS:]]
        return json_response({"ib": ib.user_id, "since": since.isoformat(), "until": until.isoformat(),
                              "fills": fills, "pending": _amounts(totals["pending"]),
                              "paid": _amounts(totals["paid"])})

    def _view(self, request: web.Request) -> tuple[User, dt.datetime, dt.datetime]:
        """Whose view (the caller, or ``?ib``) and the period, once the policy lets the caller read it."""
        actor = self.admin.actor(request)
        office = self.admin.office
        wanted = request.query.get("ib")
        ib = actor if wanted is None else office.directory.users.get(self.admin.identifier(wanted, "ib"))
        office.require(actor, Action.COMMISSIONS_READ,
                       Target(ib.tenant_id, ib.user_id) if ib else Target(actor.tenant_id, wanted))
        if ib is None:
            raise NotFound("unknown_ib", f"there is no user {wanted}")
        now = office.clock()
        try:
            since, until = (_utc(dt.datetime.fromisoformat(request.query[name])) if name in request.query else None
                            for name in ("since", "until"))
        except (ValueError, OverflowError):
            raise ApiError(400, "bad_request", "since and until are ISO-8601 times") from None
        until = until or now
        since = since or now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if since > until:
            raise ApiError(400, "bad_request", "since is after until")
        return ib, since, until

    def paths(self) -> dict[str, Any]:
        parameters = [{"name": "ib", "in": "query", "required": False,
                       "schema": {"type": "string", "pattern": ID_PATTERN},
                       "description": "an IB in the caller's scope (default: the caller)"}]
        parameters += [{"name": name, "in": "query", "required": False,
                        "schema": {"type": "string", "format": "date-time"},
                        "description": "the period (default: this month until now)"} for name in ("since", "until")]
        statuses = errors(400, 401, 403, 404)
        return {
            "/api/ib/clients": {"get": {
                "summary": "The IB's clients, their accounts, what they traded in the period, what the broker and "
                           "the IB earned on it", "parameters": parameters,
                "responses": {**ok(200, ref("IbClients"), "the clients"), **statuses}}},
            "/api/ib/earnings": {"get": {
                "summary": "The IB's rebate on each fill in the period, pending or paid, and the totals",
                "parameters": parameters,
                "responses": {**ok(200, ref("IbEarnings"), "the earnings"), **statuses}}},
        }

    def schemas(self) -> dict[str, Any]:
        text, amount = {"type": "string"}, {"type": "string"}
        amounts = {"type": "object", "additionalProperties": amount, "description": "per currency"}
        period = {"ib": text, "since": text, "until": text}
        account = record({"account_id": text, "currency": text, "group_id": text, "fills": {"type": "integer"},
                          "lots": amount, "notional": amounts, "markup": amounts, "commission": amount,
                          "rebate": amount})
        client = record({"user_id": text, "name": text, "role": text, "referrer_id": {"type": ["string", "null"]},
                         "accounts": {"type": "array", "items": account}})
        fill = record({"exec_id": text, "account_id": text, "symbol": text, "quantity": amount, "price": amount,
                       "rebate": amount, "currency": text, "status": {"enum": ["pending", "paid"]}, "at": text,
                       "paid_at": {"type": ["string", "null"]}, "payout": {"type": ["string", "null"]}})
        return {"IbClients": record({**period, "clients": {"type": "array", "items": client}}),
                "IbEarnings": record({**period, "fills": {"type": "array", "items": fill}, "pending": amounts,
                                      "paid": amounts})}


def _amounts(values: dict[str, Decimal]) -> dict[str, str]:
    return {currency: str(amount) for currency, amount in sorted(values.items())}


def _utc(moment: dt.datetime) -> dt.datetime:
    """Times are stored in UTC; a time given without a zone is taken as UTC."""
    return moment.astimezone(dt.timezone.utc) if moment.tzinfo is not None else \
        moment.replace(tzinfo=dt.timezone.utc)
