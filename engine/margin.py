"""Unified margin across asset classes: balance, equity, used and free margin, margin level, in the account's
currency, converting each position at current prices."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from engine.domain.instrument import Instrument
from engine.domain.position import Position
from engine.domain.tenancy import Account, Group

# (from currency, to currency) -> rate; the market data layer supplies it from its last quotes.
Rates = Callable[[str, str], Decimal]


@dataclass(frozen=True, slots=True)
class MarginSnapshot:
    balance: Decimal
    equity: Decimal
    used_margin: Decimal
    free_margin: Decimal
    margin_level: Decimal | None  # percent; None with no margin in use


def margin_rate(instrument: Instrument, account: Account, group: Group | None = None) -> Decimal:
    """The strictest of the instrument's rate, what the account's leverage allows, and the leverage its group
    allows for the instrument's asset class (a broker gives crypto 5:1 where forex has 100:1)."""
    leverage = account.leverage
    if group is not None:
        leverage = min(leverage, group.leverage_cap(instrument.asset_class.value))
    return max(instrument.margin_rate, Decimal(1) / leverage)


def position_margin(position: Position, instrument: Instrument, account: Account, mark: Decimal,
                    rates: Rates, group: Group | None = None) -> Decimal:
    notional = abs(position.quantity) * instrument.contract_size * mark
    return (notional * margin_rate(instrument, account, group)
            * rates(instrument.quote_currency, account.base_currency))


def snapshot(account: Account, balance: Decimal, positions: Iterable[Position],
             instruments: dict[str, Instrument], marks: dict[str, Decimal], rates: Rates,
             group: Group | None = None) -> MarginSnapshot:
    """``group``: the account's, whose leverage per asset class caps the account's own."""
    unrealised = Decimal(0)
    used = Decimal(0)
    for position in positions:
        if position.quantity == 0:
            continue
        instrument, mark = instruments[position.symbol], marks[position.symbol]
        to_account = rates(instrument.quote_currency, account.base_currency)
        unrealised += position.unrealised(mark, instrument.contract_size) * to_account
        used += position_margin(position, instrument, account, mark, rates, group)
    equity = balance + unrealised
    level = (equity / used * 100).quantize(Decimal("0.01")) if used else None
    return MarginSnapshot(balance, equity, used, equity - used, level)


@dataclass(frozen=True, slots=True)
class MarginLevels:
    """Where a broker warns (margin call) and where it closes positions (stop-out), as margin level percent."""

    margin_call: Decimal = Decimal(100)
    stop_out: Decimal = Decimal(50)

    def state(self, margin: MarginSnapshot) -> str:
        """"ok", "margin_call" or "stop_out"."""
        if margin.margin_level is None or margin.margin_level > self.margin_call:
            return "ok"
        return "stop_out" if margin.margin_level <= self.stop_out else "margin_call"
