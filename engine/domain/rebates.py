"""IB rebate plans and their arithmetic: which plan covers a fill, what each IB above the trader earns on it, and
the anti-abuse rule of the minimum hold time.

- **Which plan:** a tenant's plans, optionally for one group and a symbol pattern; the most specific that covers
  the fill wins (a group before every group, a symbol before a pattern, a pattern before ``*``).
- **What each level earns:** each IB level (master IB, IB, sub-IB) has its own rate: per lot, a fraction of the
  notional, a share of the broker's markup and of its commission on the fill. Walking up from the trader, the
  nearest IB earns its level's amount in full; each IB above earns its own amount less the most any IB below it
  earned (the override), never below zero.
- **The cap:** all levels together earn at most the plan's ``cap`` per fill and, unless the plan says otherwise,
  at most what the broker earned on it (commission plus markup). What the cap cuts, it cuts from the top: the IB
  nearest the trader is paid first, the overrides above get what is left.
- **Minimum hold:** a trade closed sooner than ``min_hold_seconds`` after its opening earns nothing: the closing
  fill earns no rebate, and what the opening fill accrued is taken back, pro rata to the quantity closed. For a
  netting account the opening is the position's last opening fill (the one that opened or added to it); for a
  hedging account, the fill that opened the ticket the order closes. Accruals are payable only once they are
  older than the hold, so what is taken back was never paid.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from enum import Enum
from fnmatch import fnmatchcase

from engine.domain.tenancy import Role, User

IB_ROLES = (Role.MASTER_IB, Role.IB, Role.SUB_IB)
CENT = Decimal("0.01")


class Schedule(str, Enum):
    """When a plan's accrued rebates are paid to the IB's wallet."""

    INSTANT = "instant"   # at the next minute
    DAILY = "daily"       # what accrued up to midnight UTC, at 00:05
    MONTHLY = "monthly"   # what accrued in the month, on the 1st at 00:05


@dataclass(frozen=True, slots=True)
class FillTerms:
    """What one fill brought the broker, all in the trader's account currency."""

    lots: Decimal
    notional: Decimal
    markup: Decimal
    commission: Decimal

    @property
    def revenue(self) -> Decimal:
        return self.markup + self.commission


@dataclass(frozen=True, slots=True)
class LevelRate:
    """What one IB level earns on a fill: ``per_lot`` in the account currency; the others are fractions (0.0001 of
    the notional is one basis point; 0.25 of the markup is a quarter of it)."""

    per_lot: Decimal = Decimal(0)
    per_notional: Decimal = Decimal(0)
    markup_share: Decimal = Decimal(0)
    commission_share: Decimal = Decimal(0)

    def earned(self, fill: FillTerms) -> Decimal:
        return (self.per_lot * fill.lots + self.per_notional * fill.notional + self.markup_share * fill.markup
                + self.commission_share * fill.commission)


@dataclass(frozen=True, slots=True)
class RebatePlan:
    plan_id: str
    tenant_id: str
    levels: Mapping[Role, LevelRate] = field(default_factory=dict)
    name: str = ""
    group_id: str | None = None            # None: every group of the tenant
    symbol_pattern: str = "*"
    cap: Decimal | None = None             # per fill, all levels together; None: no fixed cap
    within_revenue: bool = True            # never more than the broker's commission and markup on the fill
    min_hold_seconds: int = 0
    schedule: Schedule = Schedule.DAILY
    hold_for_review: bool = False          # accrued rebates wait for the broker's release

    def covers(self, tenant_id: str, group_id: str, symbol: str) -> bool:
        return (self.tenant_id == tenant_id and (self.group_id is None or self.group_id == group_id)
                and fnmatchcase(symbol, self.symbol_pattern))

    @property
    def specificity(self) -> tuple[bool, bool, bool, int]:
        pattern = self.symbol_pattern
        exact = not any(c in pattern for c in "*?[")
        return self.group_id is not None, exact, pattern != "*", len(pattern)

    def limit(self, fill: FillTerms) -> Decimal | None:
        """The most all levels together may earn on ``fill``."""
        limits = [self.cap] if self.cap is not None else []
        if self.within_revenue:
            limits.append(max(fill.revenue, Decimal(0)))
        return min(limits) if limits else None

    def split(self, upline: Sequence[User], fill: FillTerms) -> list[tuple[str, Decimal]]:
        """Each IB's rebate on ``fill``, nearest the trader first; ``upline`` is the chain above the trader, nearest
        first (``Directory.upline``). Amounts are rounded down to the cent, so the cap is never passed."""
        shares: list[tuple[str, Decimal]] = []
        below = Decimal(0)
        left = self.limit(fill)
        for user in upline:
            rate = self.levels.get(user.role) if user.role in IB_ROLES else None
            if rate is None:
                continue
            full = rate.earned(fill)
            share = max(full - below, Decimal(0))
            below = max(below, full)
            if left is not None:
                share = min(share, left)
                left -= share
            share = share.quantize(CENT, ROUND_DOWN)
            if share > 0:
                shares.append((user.user_id, share))
        return shares


def plan_for(plans: Iterable[RebatePlan], tenant_id: str, group_id: str, symbol: str) -> RebatePlan | None:
    """The most specific plan covering a fill of ``symbol`` in ``group_id`` (ties: the lowest plan id)."""
    covering = sorted((p for p in plans if p.covers(tenant_id, group_id, symbol)), key=lambda p: p.plan_id)
    return max(covering, key=lambda p: p.specificity, default=None)


@dataclass(slots=True)
class Opening:
    """A position's last opening fill: when, the quantity not yet closed, and what each IB accrued on it."""

    at: dt.datetime
    quantity: Decimal
    rebates: dict[str, Decimal]


class Openings:
    """The last opening fill of each position (netting: "<account>|<symbol>"; hedging: the ticket's id), to find a
    trade closed inside the minimum hold. Held in memory: after a restart, a trade opened before it is no longer
    known to be quick, and its close earns as any other."""

    def __init__(self) -> None:
        self._last: dict[str, Opening] = {}

    def opened(self, position: str, at: dt.datetime, quantity: Decimal, rebates: Iterable[tuple[str, Decimal]]
               ) -> None:
        self._last[position] = Opening(at, quantity, dict(rebates))

    def closed(self, position: str, at: dt.datetime, quantity: Decimal, hold: dt.timedelta
               ) -> list[tuple[str, Decimal]] | None:
        """A close of ``quantity`` at ``at``: None if the trade was held long enough (it earns as usual), else what
        to take back from each IB (negative amounts; empty when the opening earned nothing)."""
        opening = self._last.get(position)
        if opening is None or at - opening.at >= hold:
            return None
        closing = min(quantity, opening.quantity)
        back: list[tuple[str, Decimal]] = []
        for ib, amount in opening.rebates.items():
            taken = amount if closing == opening.quantity else (amount * closing / opening.quantity).quantize(CENT)
            if taken:
                back.append((ib, -taken))
                opening.rebates[ib] = amount - taken
        opening.quantity -= closing
        if opening.quantity <= 0:
            del self._last[position]
        return back
