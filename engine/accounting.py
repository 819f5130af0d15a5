"""Accounting: positions, the last marks, and what a fill or a financing charge writes to the ledger.

Margin, exposure and currency conversion are read here, so the risk gate and the terminals see the same numbers
the ledger is booked with.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import structlog

from engine.bus import Publisher
from engine.domain.instrument import Instrument
from engine.domain.position import Position, PositionBook
from engine.domain.tenancy import Directory
from engine.ledger import EntryKind, Ledger, LedgerAccount, wallet
from engine.margin import MarginSnapshot, snapshot

log = structlog.get_logger("engine.accounting")


@dataclass(frozen=True, slots=True)
class Financing:
    """Overnight financing (swap) of an instrument, in percent a year of the position's notional: what a long pays
    (negative: earns), what a short pays."""

    long_rate: Decimal
    short_rate: Decimal
    days_per_year: int = 365


def rebate_pending(ib: str) -> LedgerAccount:
    """What an IB has accrued and not yet been paid (``backoffice.payouts`` moves it to the IB's wallet)."""
    return LedgerAccount(ib, "ib_rebate_pending")


class Accounting:
    def __init__(self, directory: Directory, instruments: dict[str, Instrument], ledger: Ledger,
                 bus: Publisher) -> None:
        self.directory = directory
        self.instruments = instruments
        self.ledger = ledger
        self.bus = bus
        self.positions = PositionBook()
        self.marks: dict[str, Decimal] = {}
        # Fixed conversion rates for currencies no venue quotes ("USDT/USD", a pegged "USD/HKD"): used only when
        # the market has no price of its own.
        self.reference_rates: dict[str, Decimal] = {}

    # ---------------------------------------------------------------- reading
    def margin(self, account_id: str) -> MarginSnapshot:
        account = self.directory.accounts[account_id]
        balance = self.ledger.balance(wallet(account_id), account.base_currency)
        positions = self.positions.of_account(account_id)
        marks = {p.symbol: self.marks.get(p.symbol, p.average_price) for p in positions}
        return snapshot(account, balance, positions, self.instruments, marks, self.rate,
                        self.directory.groups.get(account.group_id))

    def net(self, account_id: str, symbol: str) -> Decimal:
        return self.positions.net(account_id, symbol)

    def tenant_exposure(self, tenant_id: str, symbol: str | None) -> Decimal:
        """Gross notional in USD of a tenant's positions, in one symbol or all."""
        total = Decimal(0)
        for position in self.positions.open_positions():   # what is open, not every ticket the book has had
            account = self.directory.accounts[position.account_id]
            if account.tenant_id != tenant_id or (symbol is not None and position.symbol != symbol):
                continue
            instrument = self.instruments[position.symbol]
            mark = self.marks.get(position.symbol, position.average_price)
            total += instrument.notional(abs(position.quantity), mark) * self.rate(instrument.quote_currency, "USD")
        return total

    def rate(self, source: str, target: str) -> Decimal:
        """Conversion at the last mid price, directly or inverted, else at a configured reference rate."""
        if source == target:
            return Decimal(1)
        for prices in (self.marks, self.reference_rates):
            if f"{source}/{target}" in prices:
                return prices[f"{source}/{target}"]
            if f"{target}/{source}" in prices:
                return 1 / prices[f"{target}/{source}"]
        raise LookupError(f"no price to convert {source} to {target}")

    # ---------------------------------------------------------------- booking
    def book_fill(self, *, tenant_id: str, account_id: str, symbol: str, order_id: str, close_id: str | None,
                  exec_id: str, signed_quantity: Decimal, client_price: Decimal, markup_revenue: Decimal,
                  commission: Decimal, rebates: Sequence[tuple[str, Decimal]] = ()) -> list[Position]:
        """Positions, realised P&L, the broker's markup and the commission of one fill, and each IB's rebate
        (pending, out of the commission revenue; negative: taken back); returns the positions it changed. The
        caller holds the transaction and journals them, so the order's new state, the positions and these entries
        commit together, and publishes them (``publish_fill``) once it has."""
        account = self.directory.accounts[account_id]
        instrument = self.instruments[symbol]
        changed, realised = self.positions.apply(account.position_mode, account_id, symbol, order_id, close_id,
                                                 signed_quantity, client_price, instrument.contract_size)
        currency = account.base_currency
        if realised:
            self.ledger.transfer(EntryKind.REALIZED_PNL, exec_id, LedgerAccount(tenant_id, "clearing"),
                                 wallet(account_id), currency, realised * self.rate(instrument.quote_currency,
                                                                                    currency))
        if markup_revenue:
            self.ledger.transfer(EntryKind.MARKUP, exec_id, LedgerAccount(tenant_id, "clearing"),
                                 LedgerAccount(tenant_id, "markup_revenue"), instrument.quote_currency, markup_revenue)
        if commission:
            self.ledger.transfer(EntryKind.COMMISSION, exec_id, wallet(account_id),
                                 LedgerAccount(tenant_id, "commission_revenue"), currency, commission)
        for referrer, amount in rebates:   # one entry per IB and fill (the reference names both), paid out later
            self.ledger.transfer(EntryKind.IB_REBATE, f"{exec_id}:{referrer}",
                                 LedgerAccount(tenant_id, "commission_revenue"), rebate_pending(referrer),
                                 currency, amount)
        return changed

    def publish_fill(self, tenant_id: str, account_id: str, symbol: str, changed: Sequence[Position]) -> None:
        """A booked fill's positions and balances on the bus, once its transaction has committed."""
        for position in changed:
            self.bus.publish(f"positions.{tenant_id}.{account_id}", {
                "position_id": position.position_id, "symbol": symbol, "quantity": str(position.quantity),
                "average_price": str(position.average_price)})
        self.publish_balances(tenant_id, account_id)

    def charge_financing(self, day: dt.date, rates: dict[str, Financing]) -> int:
        """Book one day's financing on every open position; a day already charged is not charged again (the entry
        reference is the day and the position). Returns how many entries were posted."""
        posted = 0
        for position in self.positions.open_positions():
            terms = rates.get(position.symbol)
            if terms is None:
                continue
            account = self.directory.accounts[position.account_id]
            instrument = self.instruments[position.symbol]
            mark = self.marks.get(position.symbol, position.average_price)
            rate = terms.long_rate if position.quantity > 0 else terms.short_rate
            notional = instrument.notional(abs(position.quantity), mark)
            charge = (notional * rate / 100 / terms.days_per_year
                      * self.rate(instrument.quote_currency, account.base_currency)).quantize(Decimal("0.01"))
            if not charge:
                continue
            reference = f"{day.isoformat()}:{position.position_id}"
            before = self.ledger.mark()
            self.ledger.transfer(EntryKind.FINANCING, reference, wallet(account.account_id),
                                 LedgerAccount(account.tenant_id, "financing"), account.base_currency, charge)
            if self.ledger.mark() > before:   # booked now, not on an earlier run of the same day
                posted += 1
                log.info("book.financing", account=account.account_id, position_id=position.position_id,
                         day=day.isoformat(), charge=str(charge), currency=account.base_currency)
                self.publish_balances(account.tenant_id, account.account_id)
        return posted

    def publish_balances(self, tenant_id: str, account_id: str) -> None:
        self.bus.publish(f"balances.{tenant_id}.{account_id}",
                         {k: str(v) for k, v in self.ledger.balances(wallet(account_id)).items()})
