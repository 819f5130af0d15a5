"""The rebate arithmetic as a broker reads its plan: which plan covers a fill, what each IB level earns with the
override, the cap shared across levels, and the minimum hold that stops a quick round trip from earning."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from engine.domain.rebates import FillTerms, LevelRate, Openings, RebatePlan, plan_for
from engine.domain.tenancy import Role, User

D = Decimal
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.timezone.utc)
MASTER = User("master", "t", Role.MASTER_IB, referrer_id="broker")
IB = User("ib", "t", Role.IB, referrer_id="master")
SUB = User("sub", "t", Role.SUB_IB, referrer_id="ib")
BROKER = User("broker", "t", Role.BROKER)
RICH = FillTerms(lots=D(2), notional=D(200000), markup=D(20), commission=D(14))   # 34 of revenue


def per_lot(master: str, ib: str, sub: str, **terms: object) -> RebatePlan:
    return RebatePlan("p", "t", {Role.MASTER_IB: LevelRate(per_lot=D(master)), Role.IB: LevelRate(per_lot=D(ib)),
                                 Role.SUB_IB: LevelRate(per_lot=D(sub))}, **terms)  # type: ignore[arg-type]


def test_the_nearest_ib_earns_its_rate_and_each_above_it_the_override() -> None:
    plan = per_lot("5", "3", "2")
    assert plan.split([SUB, IB, MASTER, BROKER], RICH) == [("sub", D(4)), ("ib", D(2)), ("master", D(4))]
    assert plan.split([IB, MASTER, BROKER], RICH) == [("ib", D(6)), ("master", D(4))]   # a client of the IB
    assert plan.split([MASTER, BROKER], RICH) == [("master", D(10))]


def test_an_ib_whose_rate_is_below_its_sub_ibs_earns_no_override() -> None:
    assert per_lot("5", "1", "2").split([SUB, IB, MASTER], RICH) == [("sub", D(4)), ("master", D(6))]


def test_shares_of_the_markup_and_commission_and_of_the_notional() -> None:
    plan = RebatePlan("p", "t", {Role.IB: LevelRate(markup_share=D("0.5"), commission_share=D("0.25"),
                                                    per_notional=D("0.00001"))})
    assert plan.split([IB], RICH) == [("ib", D(10) + D("3.5") + D(2))]


def test_all_levels_together_never_earn_more_than_the_broker_did_nearest_first() -> None:
    lean = FillTerms(lots=D(2), notional=D(200000), markup=D(0), commission=D(7))
    assert per_lot("5", "3", "2").split([SUB, IB, MASTER], lean) == [("sub", D(4)), ("ib", D(2)), ("master", D(1))]
    nothing = FillTerms(lots=D(2), notional=D(200000), markup=D(0), commission=D(0))
    assert per_lot("5", "3", "2").split([SUB, IB, MASTER], nothing) == []


def test_a_fixed_cap_and_a_plan_that_pays_beyond_the_revenue() -> None:
    nothing = FillTerms(lots=D(2), notional=D(200000), markup=D(0), commission=D(0))
    generous = per_lot("5", "3", "2", within_revenue=False)
    assert generous.split([SUB, IB, MASTER], nothing) == [("sub", D(4)), ("ib", D(2)), ("master", D(4))]
    capped = per_lot("5", "3", "2", within_revenue=False, cap=D("5.5"))
    assert capped.split([SUB, IB, MASTER], nothing) == [("sub", D(4)), ("ib", D("1.5"))]


def test_amounts_are_rounded_down_to_the_cent() -> None:
    odd = FillTerms(lots=D("0.333"), notional=D(0), markup=D(0), commission=D(10))
    assert per_lot("0", "1", "0").split([IB], odd) == [("ib", D("0.33"))]


def test_the_most_specific_plan_covering_the_fill_wins() -> None:
    everything = RebatePlan("all", "t")
    crypto = RebatePlan("crypto", "t", symbol_pattern="*/USDT")
    vip = RebatePlan("vip", "t", group_id="vip")
    vip_btc = RebatePlan("vip-btc", "t", group_id="vip", symbol_pattern="BTC/USDT")
    other = RebatePlan("other", "u", group_id="vip", symbol_pattern="BTC/USDT")
    plans = [everything, crypto, vip, vip_btc, other]
    assert plan_for(plans, "t", "standard", "EUR/USD") is everything
    assert plan_for(plans, "t", "standard", "ETH/USDT") is crypto
    assert plan_for(plans, "t", "vip", "ETH/USDT") is vip
    assert plan_for(plans, "t", "vip", "BTC/USDT") is vip_btc
    assert plan_for(plans, "x", "vip", "BTC/USDT") is None


def test_a_trade_closed_inside_the_hold_gives_back_what_its_opening_earned_pro_rata() -> None:
    openings = Openings()
    hold = dt.timedelta(seconds=60)
    openings.opened("ACC|EUR/USD", NOW, D(4), [("ib", D(8)), ("master", D(4))])
    assert openings.closed("ACC|EUR/USD", NOW + dt.timedelta(seconds=30), D(1), hold) == [("ib", D(-2)),
                                                                                         ("master", D(-1))]
    assert openings.closed("ACC|EUR/USD", NOW + dt.timedelta(seconds=40), D(3), hold) == [("ib", D(-6)),
                                                                                         ("master", D(-3))]
    assert openings.closed("ACC|EUR/USD", NOW + dt.timedelta(seconds=50), D(1), hold) is None, "all given back"


def test_a_trade_held_long_enough_earns_as_usual() -> None:
    openings = Openings()
    openings.opened("ACC|EUR/USD", NOW, D(1), [("ib", D(2))])
    assert openings.closed("ACC|EUR/USD", NOW + dt.timedelta(seconds=60), D(1), dt.timedelta(seconds=60)) is None
