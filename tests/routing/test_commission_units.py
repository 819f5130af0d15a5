"""Commission plans in explicit units, charged through the pipeline as a fill books: per lot is a stock's board lot
(not a share), per unit is a share, a notional charge is converted from the quote currency to the account's; and a
plan's unit is read back from SQL, refused by name when unknown, and carried over from the old per-lot columns."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy

from adapters.memory import MemoryVenue
from engine.domain.order import OrdStatus, OrdType, Side
from engine.domain.terms import CommissionPlan, CommissionUnit, RouteRule
from engine.oms import NewOrder
from engine.ports import utc_now
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.directory import SqlDirectory
from engine.storage.unit_of_work import UnitOfWork
from tests.stubs import D, Hub, hub

HK_MORNING = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 in Hong Kong, a Wednesday


def hk_broker(plan: CommissionPlan) -> Hub:
    """The stub broker with ``plan`` for its standard group, and a venue quoting HSBC (0005.HK, board lot 400)."""
    venue = MemoryVenue("hk-broker", {"0005.HK": (D("98.45"), D("98.50"))}, clock=utc_now)
    h = hub(commission=plan, venues={"hk-broker": venue}, rules=[RouteRule(("hk-broker",))], deposit="100000")
    h.oms.accounting.marks["0005.HK"] = D("98.475")
    return h


async def buy_two_board_lots(h: Hub) -> None:
    order = await h.oms.submit(NewOrder("hsbc-1", "ACC-1", "0005.HK", Side.BUY, OrdType.MARKET, D(800),
                                        received_at=HK_MORNING))
    assert order.status is OrdStatus.FILLED and order.average_price == D("98.50"), order.reject_reason


@pytest.mark.parametrize(("plan", "charged"), [
    (CommissionPlan(D(3)), D("6.00")),                                    # 3 per board lot of 400, not per share
    (CommissionPlan(D("0.01"), CommissionUnit.UNIT), D("8.00")),          # 800 shares at 0.01
    (CommissionPlan(D("3"), CommissionUnit.LOT, per_trade=D("1")), D("7.00")),
    (CommissionPlan(D("0.0001"), CommissionUnit.NOTIONAL), D("1.01")),    # 78,800 HKD x 1bp = 7.88 HKD at 7.8
])
async def test_a_stock_fill_is_charged_in_the_plans_unit_and_booked_in_the_account_currency(
        plan: CommissionPlan, charged: D) -> None:
    h = hk_broker(plan)
    await buy_two_board_lots(h)
    assert h.revenue("commission_revenue") == charged
    assert h.wallet() == D("100000") - charged
    [fill] = [event for topic, event in h.events if topic.startswith("executions.")]
    assert fill["commission"] == str(charged)


async def test_forex_per_lot_is_still_the_order_quantity_in_lots() -> None:
    h = hub(commission=CommissionPlan(D(7)))
    order = await h.oms.submit(NewOrder("fx-1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D("2.5")))
    assert order.status is OrdStatus.FILLED
    assert h.revenue("commission_revenue") == D("17.50")


def test_an_unknown_unit_is_refused_with_the_units_there_are() -> None:
    with pytest.raises(ValueError, match=r"unknown commission unit 'share': one of lot, unit, notional"):
        CommissionUnit.named("share")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


def plan_rows(database: str, *rows: dict[str, str]) -> None:
    engine = make_engine(database)
    with engine.begin() as connection:
        for row in rows:
            connection.execute(sqlalchemy.text(f"INSERT INTO commission_plans ({', '.join(row)}) VALUES "
                                               f"({', '.join(':' + c for c in row)})"), row)
    engine.dispose()


def test_a_stored_plan_with_an_unknown_unit_stops_the_load_naming_its_group(database: str) -> None:
    upgrade(database)
    plan_rows(database, {"group_id": "vip", "tenant_id": "t", "rate": "0.005", "unit": "share", "per_trade": "0"})
    with pytest.raises(ValueError, match=r"commission plan of group vip: unknown commission unit 'share'"):
        SqlDirectory(UnitOfWork(make_engine(database))).load()


def test_plans_written_before_units_keep_their_charge_after_the_upgrade(database: str) -> None:
    upgrade(database, "0007")
    plan_rows(database, {"group_id": "standard", "tenant_id": "t", "per_lot": "3", "per_notional": "0",
                         "per_trade": "0.5"},
              {"group_id": "vip", "tenant_id": "t", "per_lot": "0", "per_notional": "0.00002", "per_trade": "0"})
    upgrade(database)
    plans = SqlDirectory(UnitOfWork(make_engine(database))).load().commission_plans
    assert plans == {"standard": CommissionPlan(D(3), CommissionUnit.LOT, D("0.5")),
                     "vip": CommissionPlan(D("0.00002"), CommissionUnit.NOTIONAL)}


def test_a_plan_charging_both_per_lot_and_on_the_notional_stops_the_upgrade(database: str) -> None:
    upgrade(database, "0007")
    plan_rows(database, {"group_id": "mixed", "tenant_id": "t", "per_lot": "3", "per_notional": "0.00002",
                         "per_trade": "0"})
    with pytest.raises(RuntimeError, match="commission plan of group mixed charges both"):
        upgrade(database)
