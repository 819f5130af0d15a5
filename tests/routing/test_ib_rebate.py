"""IBs earn on their clients' trading: each fill books what the plan gives each IB above the trader, pending, out of
the broker's revenue, with the fill itself; a round trip inside the plan's minimum hold earns nothing."""
from __future__ import annotations

import datetime as dt

from engine.accounting import rebate_pending
from engine.domain.order import OrdType, Side
from engine.domain.rebates import LevelRate, RebatePlan
from engine.domain.tenancy import Account, Role, User
from engine.ledger import EntryKind, LedgerAccount
from engine.oms import NewOrder
from tests.stubs import NOW, D, Hub, hub


def per_lot(master: str, ib: str, sub: str, **terms: object) -> RebatePlan:
    return RebatePlan("plan", "broker-a", {Role.MASTER_IB: LevelRate(per_lot=D(master)),
                                           Role.IB: LevelRate(per_lot=D(ib)), Role.SUB_IB: LevelRate(per_lot=D(sub))},
                      **terms)  # type: ignore[arg-type]


def tree(h: Hub) -> None:
    """master <- ib <- sub, with ACC-2 a client of the IB and ACC-3 of the sub-IB."""
    directory = h.oms.directory
    directory.add_user(User("master", "broker-a", Role.MASTER_IB, referrer_id="broker-a-owner"))
    directory.add_user(User("ib", "broker-a", Role.IB, referrer_id="master"))
    directory.add_user(User("sub", "broker-a", Role.SUB_IB, referrer_id="ib"))
    directory.add_user(User("trader-2", "broker-a", Role.END_USER, referrer_id="ib"))
    directory.add_user(User("trader-3", "broker-a", Role.END_USER, referrer_id="sub"))
    directory.add_account(Account("ACC-2", "broker-a", "trader-2", "standard"))
    directory.add_account(Account("ACC-3", "broker-a", "trader-3", "standard"))
    for account in ("ACC-2", "ACC-3"):
        h.ledger.transfer(EntryKind.DEPOSIT, f"dep-{account}", LedgerAccount("bank", "cash"),
                          LedgerAccount(account, "wallet"), "USD", D(10000))


def pending(h: Hub, ib: str, currency: str = "USD") -> D:
    return h.ledger.balance(rebate_pending(ib), currency)


async def test_each_ib_above_the_trader_earns_its_level_less_what_those_below_earned() -> None:
    h = hub(commission_per_lot="7", rebates=per_lot("5", "3", "2"))
    tree(h)
    await h.oms.submit(NewOrder("c1", "ACC-3", "EUR/USD", Side.BUY, OrdType.MARKET, D(2)))
    assert (pending(h, "sub"), pending(h, "ib"), pending(h, "master")) == (D(4), D(2), D(4))
    assert h.revenue("commission_revenue") == D(14) - D(10)                          # 2 lots x 7, less rebates
    await h.oms.submit(NewOrder("c2", "ACC-2", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))   # the IB's own client
    assert (pending(h, "sub"), pending(h, "ib"), pending(h, "master")) == (D(4), D(5), D(6))
    await h.oms.submit(NewOrder("c3", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))   # the broker's own
    assert (pending(h, "sub"), pending(h, "ib"), pending(h, "master")) == (D(4), D(5), D(6)), "no IB above ACC-1"


async def test_the_rebates_never_pass_what_the_broker_earned_on_the_fill() -> None:
    h = hub(commission_per_lot="3", rebates=per_lot("5", "3", "2"))
    tree(h)
    await h.oms.submit(NewOrder("c1", "ACC-3", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert (pending(h, "sub"), pending(h, "ib"), pending(h, "master")) == (D(2), D(1), D(0))
    assert h.revenue("commission_revenue") == D(0)


async def test_a_share_of_the_markup_is_converted_to_the_account_currency() -> None:
    plan = RebatePlan("plan", "broker-a", {Role.IB: LevelRate(markup_share=D("0.5"))})
    h = hub(markup_points="10", rebates=plan)   # 10 USDT a coin on BTC/USDT, 1 USDT = 1 USD
    tree(h)
    await h.oms.submit(NewOrder("c1", "ACC-2", "BTC/USDT", Side.BUY, OrdType.MARKET, D("0.1")))
    assert pending(h, "ib") == D("0.50")          # half of 0.1 x 10 USDT, in USD
    assert pending(h, "ib", "USDT") == 0


async def test_a_round_trip_inside_the_minimum_hold_earns_nothing() -> None:
    clock = [NOW]
    h = hub(commission_per_lot="7", rebates=per_lot("0", "3", "0", min_hold_seconds=60),
            rebate_clock=lambda: clock[0])
    tree(h)
    await h.oms.submit(NewOrder("o1", "ACC-2", "EUR/USD", Side.BUY, OrdType.MARKET, D(2)))
    assert pending(h, "ib") == D(6)
    clock[0] = NOW + dt.timedelta(seconds=30)
    await h.oms.submit(NewOrder("c1", "ACC-2", "EUR/USD", Side.SELL, OrdType.MARKET, D(1)))
    assert pending(h, "ib") == D(3), "the close earns nothing and half the opening is given back"
    clock[0] = NOW + dt.timedelta(seconds=90)
    await h.oms.submit(NewOrder("c2", "ACC-2", "EUR/USD", Side.SELL, OrdType.MARKET, D(1)))
    assert pending(h, "ib") == D(6), "held long enough: the opening's other half stays and the close earns"
