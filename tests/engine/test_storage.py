"""Migrations, the durable order journal, and a restart that reconciles with the venue, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import sqlalchemy

from engine.domain.order import OrdStatus, OrdType, Side
from engine.oms import NewOrder
from engine.ports import utc_now
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.group_commit import GroupCommit
from engine.storage.journal import SqlOrderJournal
from engine.storage.unit_of_work import UnitOfWork
from tests.stubs import NOW, D, hub


def test_upgrade_creates_the_schema_and_is_idempotent(database: str) -> None:
    upgrade(database)
    upgrade(database)
    tables = set(sqlalchemy.inspect(make_engine(database)).get_table_names())
    assert {"orders", "journal_entries", "postings", "alembic_version"} <= tables


def test_history_written_before_an_upgrade_keeps_its_meaning(database: str) -> None:
    """0005: a rejection's "code: sentence" splits into its two columns; 0006: a fill's key gains its order."""
    upgrade(database, "0004")
    engine = make_engine(database)
    order = {"order_id": "O1", "cl_ord_id": "c1", "tenant_id": "t", "account_id": "A", "symbol": "EUR/USD",
             "side": "1", "ord_type": "2", "time_in_force": "1", "quantity": "1", "status": "8", "filled": "0",
             "average_price": "0", "reject_reason": "throttled: more than 50 orders a second",
             "created_at": NOW.replace(tzinfo=None), "updated_at": NOW.replace(tzinfo=None)}
    fill = {"exec_id": "lp-1:7", "order_id": "O2", "account_id": "A", "symbol": "EUR/USD", "side": "1",
            "quantity": "1", "price": "1.1", "venue": "lp-1", "venue_price": "1.1", "markup_revenue": "0",
            "commission": "0", "at": NOW.replace(tzinfo=None)}
    with engine.begin() as connection:
        for table, row in (("orders", order), ("executions", fill)):
            columns = ", ".join(row)
            connection.execute(sqlalchemy.text(f"INSERT INTO {table} ({columns}) VALUES "
                                               f"({', '.join(':' + c for c in row)})"), row)
    upgrade(database)
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("SELECT reject_code, reject_reason FROM orders")).one() == (
            "throttled", "more than 50 orders a second")
        assert connection.execute(sqlalchemy.text("SELECT exec_id FROM executions")).scalar_one() == "lp-1:O2:7"
    engine.dispose()


async def test_orders_are_journaled_and_a_restart_reconciles_with_the_venue(database: str) -> None:
    upgrade(database)
    journal = SqlOrderJournal(GroupCommit(make_engine(database)), utc_now)
    before = hub(journal=journal)
    filled = await before.oms.submit(NewOrder("c1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    resting = await before.oms.submit(NewOrder("c2", "ACC-1", "EUR/USD", Side.BUY, OrdType.LIMIT, D(2),
                                               D("1.08000")))
    assert filled.status is OrdStatus.FILLED and resting.status is OrdStatus.NEW
    stored = {o.cl_ord_id: o for o in journal.all_orders()}
    assert stored["c1"].status is OrdStatus.FILLED and stored["c1"].average_price == D("1.08350")
    # the hub goes away; while it is down the venue fills the resting order
    venue = before.venues["lp-1"]
    venue.forget_subscribers()
    venue.set_quote("EUR/USD", D("1.07990"), D("1.07995"))
    after = hub(order_id_prefix="R", journal=journal)
    after.venues["lp-1"] = venue
    after.oms.router.venues = after.venues  # type: ignore[assignment]
    venue.on_report(after.oms.on_report)
    await after.oms.restore()
    restored = after.oms.orders[resting.order_id]
    assert restored.status is OrdStatus.FILLED and restored.filled == D(2)
    assert after.oms.accounting.net("ACC-1", "EUR/USD") == D(3), "the position from before the restart is kept"
    assert journal.open_orders() == []
    next_order = await after.oms.submit(NewOrder("c3", "ACC-1", "EUR/USD", Side.SELL, OrdType.MARKET, D(1)))
    assert next_order.order_id not in (filled.order_id, resting.order_id)



def test_the_ledger_survives_a_restart_and_a_replayed_reference_is_still_booked_once(database: str) -> None:
    from engine.ledger import EntryKind, Ledger, LedgerAccount, wallet
    from engine.storage.ledger_store import SqlLedgerStore

    upgrade(database)
    store = SqlLedgerStore(GroupCommit(make_engine(database)))
    ledger = Ledger(utc_now, store)
    ledger.transfer(EntryKind.DEPOSIT, "pay-1", LedgerAccount("bank", "cash"), wallet("ACC-1"), "USD",
                    D("1000.01"))
    ledger.transfer(EntryKind.COMMISSION, "exec-1", wallet("ACC-1"), LedgerAccount("broker-a", "commission"),
                    "USD", D("7.000000000000000001"))
    restarted = Ledger(utc_now, store)
    assert restarted.balance(wallet("ACC-1"), "USD") == D("993.009999999999999999")
    restarted.transfer(EntryKind.DEPOSIT, "pay-1", LedgerAccount("bank", "cash"), wallet("ACC-1"), "USD",
                       D("1000.01"))  # the payment webhook again
    assert restarted.balance(wallet("ACC-1"), "USD") == D("993.009999999999999999")
    assert [e.entry_id for e in Ledger(utc_now, store).entries] == [1, 2]


async def test_a_fill_books_its_order_state_and_ledger_entries_in_one_transaction(database: str) -> None:
    from engine.ledger import EntryKind, Ledger, LedgerAccount, wallet
    from engine.storage.ledger_store import SqlLedgerStore

    upgrade(database)
    unit = GroupCommit(make_engine(database))
    journal, store = SqlOrderJournal(unit, utc_now), SqlLedgerStore(unit)
    h = hub(markup_points="0.00003", commission_per_lot="7", journal=journal, ledger=Ledger(utc_now, store))
    h.oms.accounting.ledger.transfer(EntryKind.DEPOSIT, "dep-1", LedgerAccount("bank", "cash"), wallet("ACC-1"), "USD",
                          D(10000))

    class Crash(Exception):
        pass

    def crash_on_fill(order):  # type: ignore[no-untyped-def]
        if order.filled:
            raise Crash("the process dies between the ledger write and the order write")
        SqlOrderJournal.record(journal, order)

    journal.record = crash_on_fill  # type: ignore[method-assign]
    first = await h.oms.submit(NewOrder("c1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert [o.filled for o in SqlOrderJournal(unit, utc_now).all_orders()] == [D(0)]
    assert [e.kind for e in Ledger(utc_now, store).entries] == [EntryKind.DEPOSIT], \
        "no fill's ledger entry may outlive the order state it belongs to"
    assert first.filled == 0 and first.status is OrdStatus.NEW, "nor may the book in memory differ from the database"
    assert h.oms.accounting.net("ACC-1", "EUR/USD") == 0 and h.wallet() == D(10000)
    assert [e["event"] for topic, e in h.events if topic.startswith("orders.")] == ["new"], "no client told of a fill"
    assert len(h.oms.unbooked) == 1
    journal.record = lambda order: SqlOrderJournal.record(journal, order)  # type: ignore[method-assign]
    h.oms.retry_unbooked()   # the hub's clock tries again: the fill is booked once, now
    await h.oms.settle()     # and committed with its batch
    assert first.status is OrdStatus.FILLED and h.oms.unbooked == []
    assert [o.filled for o in SqlOrderJournal(unit, utc_now).all_orders()] == [D(1)]
    await h.oms.submit(NewOrder("c2", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    booked = Ledger(utc_now, store)
    assert booked.balance(LedgerAccount("broker-a", "markup_revenue"), "USD") == D("6.00000"), "c1 and c2, once each"
    assert [o.filled for o in SqlOrderJournal(unit, utc_now).all_orders() if o.cl_ord_id == "c2"] == [D(1)]


async def test_after_a_restart_a_held_stop_is_held_again_not_sent(database: str) -> None:
    upgrade(database)
    journal = SqlOrderJournal(GroupCommit(make_engine(database)), utc_now)
    before = hub(markup_points="0.00003", journal=journal)
    stop = await before.oms.submit(NewOrder("s1", "ACC-1", "EUR/USD", Side.BUY, OrdType.STOP, D(1),
                                            stop_price=D("1.08500")))
    assert stop.status is OrdStatus.NEW and stop.venue_stop_price == D("1.08497")
    after = hub(markup_points="0.00003", journal=journal, order_id_prefix="R")
    await after.oms.restore()
    assert after.venues["lp-1"].received == [], "a held stop must not go out just because the hub restarted"
    after.venues["lp-1"].set_quote("EUR/USD", D("1.08490"), D("1.08497"))
    await after.oms.on_quote("EUR/USD", D("1.08490"), D("1.08497"))  # touches the venue-side stop price
    assert after.oms.orders[stop.order_id].status is OrdStatus.FILLED


def test_the_tenants_route_table_markups_and_plans_survive_a_restart_and_keep_their_rules(database: str) -> None:
    from engine.domain.instrument import AssetClass
    from engine.domain.tenancy import PositionMode, Role
    from engine.domain.terms import CommissionPlan, CommissionUnit, Markup, MarkupUnit, RouteRule
    from engine.storage.directory import SqlDirectory

    upgrade(database)
    store = SqlDirectory(UnitOfWork(make_engine(database)))
    h = hub()
    directory = h.oms.directory
    from engine.domain.tenancy import Account, User
    directory.add_user(User("ib-1", "broker-a", Role.IB, referrer_id="broker-a-owner"))
    directory.add_user(User("sub-1", "broker-a", Role.SUB_IB, referrer_id="ib-1"))
    directory.add_user(User("trader-2", "broker-a", Role.END_USER, referrer_id="sub-1"))
    directory.add_account(Account("ACC-2", "broker-a", "trader-2", "standard", "EUR", D(50), PositionMode.HEDGING))
    rules = [RouteRule(("lp-2",), tenant_id="broker-a", asset_class=AssetClass.CRYPTO, min_quantity=D("0.5"),
                       best_price=True), RouteRule(("lp-1", "lp-2"))]
    store.save_directory(directory)
    store.save_route_rules(rules)
    store.save_markups({("broker-a", "*", "EUR/USD"): Markup.both(D("0.00003")),
                        ("broker-a", "standard", "*"): Markup.both(D("0.05"), MarkupUnit.PERCENT)})
    store.save_commission_plans(directory, {"standard": CommissionPlan(D("7"), CommissionUnit.UNIT, D("0.5"))})
    loaded = store.load()
    assert loaded.directory.accounts["ACC-2"].position_mode is PositionMode.HEDGING
    assert loaded.directory.accounts["ACC-2"].leverage == D(50)
    assert [u.user_id for u in loaded.directory.upline("trader-2")] == ["sub-1", "ib-1", "broker-a-owner"]
    assert loaded.route_rules == rules
    assert loaded.markups[("broker-a", "standard", "*")] == Markup.both(D("0.05"), MarkupUnit.PERCENT)
    assert loaded.commission_plans["standard"] == CommissionPlan(D("7"), CommissionUnit.UNIT, D("0.5"))
    store.save_route_rules(rules[1:])  # the dealer swaps the table
    assert store.load().route_rules == rules[1:]


async def test_a_fill_replayed_after_a_restart_is_not_booked_again(database: str) -> None:
    from engine.ledger import Ledger
    from engine.ports import ReportKind, VenueReport
    from engine.storage.ledger_store import SqlLedgerStore

    upgrade(database)
    unit = GroupCommit(make_engine(database))
    journal = SqlOrderJournal(unit, utc_now)
    before = hub(journal=journal, ledger=Ledger(utc_now, SqlLedgerStore(unit)), transactions=unit)
    venue = before.venues["lp-1"]
    venue.partial_fill_ratio = D("0.5")
    order = await before.oms.submit(NewOrder("c1", "ACC-1", "EUR/USD", Side.BUY, OrdType.LIMIT, D(2), D("1.08400")))
    assert order.filled == D(1)
    first_fill = next(e for e in journal.executions("ACC-1"))
    after = hub(journal=journal, ledger=Ledger(utc_now, SqlLedgerStore(unit)), transactions=unit, order_id_prefix="R",
                venues=before.venues)
    await after.oms.restore()
    wallet_after_restart = after.wallet()
    # the LP's session replays its last report after the reconnect (a PossDup resend)
    after.oms.on_report(VenueReport("lp-1", ReportKind.FILL, order.order_id, exec_id=first_fill.exec_id.rsplit(":", 1)[1],
                                    last_quantity=D(1), last_price=D("1.08350"), at=NOW))
    restored = after.oms.orders[order.order_id]
    assert restored.filled == D(1) and after.oms.accounting.net("ACC-1", "EUR/USD") == D(1)
    assert after.wallet() == wallet_after_restart
    assert [e.exec_id for e in journal.executions("ACC-1")] == [first_fill.exec_id]


async def test_the_report_outbox_numbers_events_across_restarts_and_forgets_them_after_a_week(database: str) -> None:
    from engine.storage.report_outbox import SqlReportOutbox

    upgrade(database)
    before = SqlReportOutbox(GroupCommit(make_engine(database)), lambda: NOW)
    first = before.append("orders.broker-a.ACC-1", {"order_id": "O1"})
    await before.commits.durable()
    later = NOW + dt.timedelta(days=8)
    after = SqlReportOutbox(GroupCommit(make_engine(database)), lambda: later)   # the hub started again
    second = after.append("orders.broker-a.ACC-1", {"order_id": "O2"})
    after.append("executions.broker-a", {"order_id": "O2"})
    await after.commits.durable()
    assert second == first + 1, "numbers go on from where the last run stopped"
    assert [(seq, event) for seq, _, event in after.since(0, ["orders.broker-a.ACC-1"])] == [
        (first, {"order_id": "O1", "seq": first}), (second, {"order_id": "O2", "seq": second})]
    assert after.prune(later - dt.timedelta(days=7)) == 1
    assert [event["order_id"] for _, _, event in after.since(0, ["orders.broker-a.ACC-1"])] == ["O2"]
