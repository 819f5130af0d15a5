"""The order state machine, tenancy rules, positions and margin, without any venue."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.domain.order import InvalidTransition, Order, OrdStatus, OrdType, Side
from engine.domain.position import Position, PositionBook
from engine.domain.tenancy import Account, Directory, Group, PositionMode, Role, TenancyError, Tenant, User
from tests.stubs import NOW, D, eurusd, hsbc_hk


def order() -> Order:
    return Order("O1", "C1", "broker-a", "ACC-1", "EUR/USD", Side.BUY, OrdType.LIMIT, D(2), price=D("1.1"), created_at=NOW)


def test_ord_status_follows_fix_and_refuses_impossible_moves() -> None:
    o = order()
    o.move(OrdStatus.NEW)
    o.fill(D(1), D("1.1"))
    assert o.status is OrdStatus.PARTIALLY_FILLED and o.leaves == D(1)
    o.fill(D(1), D("1.2"))
    assert o.status is OrdStatus.FILLED and o.average_price == D("1.15") and o.leaves == 0
    with pytest.raises(InvalidTransition, match="FILLED cannot become CANCELED"):
        o.move(OrdStatus.CANCELED)
    with pytest.raises(ValueError, match="overfill"):
        o.fill(D(1), D("1.1"))


def test_a_rejected_order_stays_rejected() -> None:
    o = order()
    o.move(OrdStatus.REJECTED)
    for status in OrdStatus:
        with pytest.raises(InvalidTransition):
            o.move(status)


def test_ib_tree_follows_the_referral_rules_and_stays_inside_the_tenant() -> None:
    directory = Directory()
    directory.add_tenant(Tenant("a", "A"))
    directory.add_tenant(Tenant("b", "B"))
    directory.add_user(User("owner", "a", Role.BROKER))
    directory.add_user(User("mib", "a", Role.MASTER_IB, referrer_id="owner"))
    directory.add_user(User("ib", "a", Role.IB, referrer_id="mib"))
    directory.add_user(User("sub", "a", Role.SUB_IB, referrer_id="ib"))
    directory.add_user(User("trader", "a", Role.END_USER, referrer_id="sub"))
    assert [u.user_id for u in directory.upline("trader")] == ["sub", "ib", "mib", "owner"]
    with pytest.raises(TenancyError, match="cannot refer"):
        directory.add_user(User("x", "a", Role.MASTER_IB, referrer_id="sub"))
    with pytest.raises(TenancyError, match="not in its tenant"):
        directory.add_user(User("y", "b", Role.END_USER, referrer_id="ib"))
    directory.add_group(Group("g", "a", max_leverage=D(50)))
    with pytest.raises(TenancyError, match="above the group"):
        directory.add_account(Account("ACC", "a", "trader", "g", leverage=D(100)))
    with pytest.raises(TenancyError, match="belong to tenant"):
        directory.add_account(Account("ACC", "b", "trader", "g", leverage=D(10)))


def test_netting_position_realises_pnl_and_flips() -> None:
    position = Position("ACC-1", "EUR/USD")
    assert position.apply(D(1), D("1.1000"), D(100000)) == 0
    assert position.apply(D(1), D("1.1010"), D(100000)) == 0 and position.average_price == D("1.1005")
    assert position.apply(D(-3), D("1.1020"), D(100000)) == D("300.0000")  # closes 2 at +15 pips
    assert (position.quantity, position.average_price) == (D(-1), D("1.1020"))


def test_instruments_know_their_steps_ticks_and_hours() -> None:
    fx, hk = eurusd(), hsbc_hk()
    assert fx.on_tick(D("1.08345")) and not fx.on_tick(D("1.083455"))
    assert hk.on_step(D(800)) and not hk.on_step(D(100))  # board lot of 400
    wednesday = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)
    assert hk.is_open(wednesday.replace(hour=2))          # 10:00 in Hong Kong
    assert not hk.is_open(wednesday.replace(hour=4, minute=30))  # the lunch break
    assert not hk.is_open(dt.datetime(2026, 11, 29, 2, tzinfo=dt.timezone.utc))  # Sunday


def test_a_hedging_fill_that_does_not_commit_leaves_every_ticket_as_it_was() -> None:
    """A close bigger than its ticket closes it and opens the rest: both are put back, the new ticket removed."""
    book = PositionBook()
    book.apply(PositionMode.HEDGING, "ACC-1", "EUR/USD", "O1", None, D(1), D("1.1"), D(100000))
    keys = book.touched(PositionMode.HEDGING, "ACC-1", "EUR/USD", "O2", "O1")
    saved = book.snapshot(keys)
    book.apply(PositionMode.HEDGING, "ACC-1", "EUR/USD", "O2", "O1", D(-3), D("1.2"), D(100000))
    assert book.positions["O1"].quantity == 0 and book.positions["O2"].quantity == -2
    book.restore(saved)
    assert set(book.positions) == {"O1"}
    assert (book.positions["O1"].quantity, book.positions["O1"].average_price) == (D(1), D("1.1"))
