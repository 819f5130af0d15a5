"""What a hub that has run for months holds on its hot path: running balances, every reference once, the latest
ledger entries only, and an index of the open positions; the numbers it gives are the ones the whole history gives."""
from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.accounting import Financing
from engine.domain.order import OrdType, Side
from engine.domain.position import PositionBook
from engine.domain.tenancy import Account, PositionMode
from engine.ledger import EntryKind, JournalEntry, Ledger, LedgerAccount, wallet
from engine.oms import NewOrder
from engine.ports import utc_now
from tests.stubs import D, hub

BANK = LedgerAccount("bank", "cash")


class ListStore:
    """A ledger store in a list: every entry, as a database would keep them."""

    def __init__(self) -> None:
        self.rows: list[JournalEntry] = []

    def append(self, entry: JournalEntry) -> None:
        self.rows.append(entry)

    def load(self) -> list[JournalEntry]:
        return list(self.rows)


def test_a_balance_after_many_entries_is_their_sum_and_only_the_latest_entries_stay_in_memory() -> None:
    ledger = Ledger(utc_now, keep=50)
    amounts = [Decimal(n) / 100 for n in range(1, 2001)]
    for number, amount in enumerate(amounts):
        ledger.transfer(EntryKind.DEPOSIT, f"pay-{number}", BANK, wallet("ACC-1"), "USD", amount)
    assert ledger.balance(wallet("ACC-1"), "USD") == sum(amounts) == -ledger.balance(BANK, "USD")
    assert ledger.mark() == 2000, "every entry counts"
    assert [e.reference for e in ledger.entries] == [f"pay-{n}" for n in range(1950, 2000)], "the latest 50, in order"


def test_a_reference_booked_long_ago_is_still_booked_once() -> None:
    ledger = Ledger(utc_now, keep=10)
    first = ledger.transfer(EntryKind.DEPOSIT, "pay-0", BANK, wallet("ACC-1"), "USD", D(5))
    for number in range(1, 100):
        ledger.transfer(EntryKind.DEPOSIT, f"pay-{number}", BANK, wallet("ACC-1"), "USD", D(1))
    assert ledger.transfer(EntryKind.DEPOSIT, "pay-99", BANK, wallet("ACC-1"), "USD", D(1)) is ledger.entries[-1]
    assert first not in ledger.entries
    assert ledger.transfer(EntryKind.DEPOSIT, "pay-0", BANK, wallet("ACC-1"), "USD", D(5)) is None, \
        "booked long ago: nothing booked now, and the entry is the store's"
    assert ledger.booked(EntryKind.DEPOSIT, "pay-0") and not ledger.booked(EntryKind.WITHDRAWAL, "pay-0")
    assert ledger.balance(wallet("ACC-1"), "USD") == D(5) + 99 and ledger.mark() == 100


def test_rolling_back_after_many_entries_restores_the_balances_and_frees_the_references() -> None:
    ledger = Ledger(utc_now, keep=20)
    for number in range(500):
        ledger.transfer(EntryKind.DEPOSIT, f"pay-{number}", BANK, wallet("ACC-1"), "USD", D(1))
    mark = ledger.mark()
    ledger.transfer(EntryKind.COMMISSION, "exec-1", wallet("ACC-1"), LedgerAccount("broker-a", "commission"), "USD",
                    D(7))
    ledger.transfer(EntryKind.MARKUP, "exec-1", LedgerAccount("broker-a", "clearing"),
                    LedgerAccount("broker-a", "markup_revenue"), "USD", D(3))
    ledger.roll_back(mark)
    assert ledger.mark() == mark and ledger.balance(wallet("ACC-1"), "USD") == 500
    assert ledger.balance(LedgerAccount("broker-a", "markup_revenue"), "USD") == 0
    assert ledger.entries[-1].reference == "pay-499"
    assert ledger.transfer(EntryKind.COMMISSION, "exec-1", wallet("ACC-1"), LedgerAccount("broker-a", "commission"),
                           "USD", D(7)) is not None, "a rolled back reference was never booked"


def test_a_roll_back_deeper_than_the_entries_in_memory_is_refused_and_changes_nothing() -> None:
    ledger = Ledger(utc_now, keep=5)
    for number in range(10):
        ledger.transfer(EntryKind.DEPOSIT, f"pay-{number}", BANK, wallet("ACC-1"), "USD", D(1))
    with pytest.raises(ValueError):
        ledger.roll_back(2)
    assert ledger.mark() == 10 and ledger.balance(wallet("ACC-1"), "USD") == 10 and len(ledger.entries) == 5


def test_a_restarted_ledger_has_every_balance_and_reference_but_only_the_latest_entries() -> None:
    store = ListStore()
    ledger = Ledger(utc_now, store, keep=30)
    for number in range(300):
        ledger.transfer(EntryKind.DEPOSIT, f"pay-{number}", BANK, wallet(f"ACC-{number % 3}"), "USD", D(number))
    restarted = Ledger(utc_now, store, keep=30)
    for account in ("ACC-0", "ACC-1", "ACC-2"):
        assert restarted.balance(wallet(account), "USD") == ledger.balance(wallet(account), "USD") == sum(
            p.amount for e in store.rows for p in e.postings if p.account == wallet(account))
    assert restarted.entries == ledger.entries and restarted.mark() == 300
    assert restarted.transfer(EntryKind.DEPOSIT, "pay-0", BANK, wallet("ACC-0"), "USD", D(0)) is None
    fresh = restarted.transfer(EntryKind.DEPOSIT, "pay-300", BANK, wallet("ACC-0"), "USD", D(1))
    assert fresh is not None and fresh.entry_id == 301 and len(store.rows) == 301


def test_the_objects_a_ledger_keeps_alive_do_not_grow_with_its_entries() -> None:
    """What the garbage collector scans on every full collection: the latest entries, not the journal."""
    ledger = Ledger(utc_now, keep=100)
    for number in range(1000):
        ledger.transfer(EntryKind.FILL, f"exec-{number}", BANK, wallet("ACC-1"), "USD", D(1))
    gc.collect()
    before = len(gc.get_objects())
    for number in range(1000, 21000):
        ledger.transfer(EntryKind.FILL, f"exec-{number}", BANK, wallet("ACC-1"), "USD", D(1))
    gc.collect()
    assert len(gc.get_objects()) - before < 50
    assert ledger.balance(wallet("ACC-1"), "USD") == 21000 and len(ledger.entries) == 100


def test_financing_counts_what_it_booked_when_the_entries_in_memory_are_full() -> None:
    h = hub(ledger=Ledger(utc_now, keep=5))
    for number in range(10):
        h.ledger.transfer(EntryKind.DEPOSIT, f"pay-{number}", BANK, wallet("ACC-1"), "USD", D(1))
    h.oms.accounting.positions.apply(PositionMode.NETTING, "ACC-1", "EUR/USD", "O1", None, D(1), D("1.08345"),
                                     D(100000))
    h.oms.accounting.positions.apply(PositionMode.NETTING, "ACC-1", "BTC/USDT", "O2", None, D(-1), D(60005), D(1))
    rates = {"EUR/USD": Financing(D(3), D(1)), "BTC/USDT": Financing(D(10), D(10))}
    day = dt.date(2026, 11, 25)
    assert h.oms.accounting.charge_financing(day, rates) == 2
    assert h.oms.accounting.charge_financing(day, rates) == 0, "a day is charged once"


async def test_many_round_trips_book_the_same_balances_and_margin_whatever_the_ledger_keeps() -> None:
    small, full = (hub(commission_per_lot="7", markup_points="0.00003", throttle=0, ledger=Ledger(utc_now, keep=keep))
                   for keep in (4, 100_000))
    for h in (small, full):
        for number in range(301):
            side = Side.BUY if number % 2 == 0 else Side.SELL
            await h.oms.submit(NewOrder(f"c{number}", "ACC-1", "EUR/USD", side, OrdType.MARKET, D(1)))
    assert len(small.ledger.entries) == 4 and len(full.ledger.entries) == full.ledger.mark() == small.ledger.mark()
    for purpose in ("wallet", "commission_revenue", "markup_revenue", "clearing"):
        owner = "ACC-1" if purpose == "wallet" else "broker-a"
        account = LedgerAccount(owner, purpose)
        total = sum((p.amount for e in full.ledger.entries for p in e.postings
                     if p.account == account and p.currency == "USD"), Decimal(0))
        assert small.ledger.balance(account, "USD") == full.ledger.balance(account, "USD") == total
    assert small.oms.margin("ACC-1") == full.oms.margin("ACC-1")
    assert small.oms.accounting.net("ACC-1", "EUR/USD") == D(1)


def _hedging(book: PositionBook) -> None:
    for number in range(200):   # a hedging account that opened and closed 200 tickets
        book.apply(PositionMode.HEDGING, "ACC-H", "EUR/USD", f"O{number}", None, D(1), D("1.1"), D(100000))
        book.apply(PositionMode.HEDGING, "ACC-H", "EUR/USD", f"C{number}", f"O{number}", D(-1), D("1.2"), D(100000))


def test_an_account_reads_its_open_tickets_not_every_ticket_it_ever_had() -> None:
    book = PositionBook()
    _hedging(book)
    book.apply(PositionMode.HEDGING, "ACC-H", "EUR/USD", "L", None, D(2), D("1.1"), D(100000))
    book.apply(PositionMode.HEDGING, "ACC-H", "BTC/USDT", "S", None, D(-1), D(60000), D(1))
    book.apply(PositionMode.NETTING, "ACC-1", "EUR/USD", "N", None, D(3), D("1.1"), D(100000))
    assert len(book.positions) == 203, "every ticket is still found by its id"
    assert [p.position_id for p in book.of_account("ACC-H")] == ["L", "S"]
    assert book.net("ACC-H", "EUR/USD") == D(2) and book.net("ACC-H", "BTC/USDT") == D(-1)
    assert book.net("ACC-1", "EUR/USD") == D(3) and book.net("ACC-2", "EUR/USD") == 0
    assert sorted(book.open_accounts()) == ["ACC-1", "ACC-H"]
    assert {p.position_id for p in book.open_positions()} == {"L", "S", "ACC-1|EUR/USD"}


def test_tenant_exposure_and_margin_count_the_open_tickets_only() -> None:
    h = hub()
    h.oms.directory.add_account(Account("ACC-H", "broker-a", "trader-1", "standard",
                                        position_mode=PositionMode.HEDGING))
    book = h.oms.accounting.positions
    _hedging(book)
    book.apply(PositionMode.HEDGING, "ACC-H", "EUR/USD", "L", None, D(2), D("1.1"), D(100000))
    notional = D(2) * 100000 * D("1.08345")
    assert h.oms.accounting.tenant_exposure("broker-a", "EUR/USD") == notional
    assert h.oms.accounting.tenant_exposure("broker-a", None) == notional
    assert h.oms.margin("ACC-H").used_margin == notional / 100


OPS = st.lists(st.tuples(st.sampled_from(["ACC-1", "ACC-2"]), st.sampled_from(["EUR/USD", "BTC/USDT"]),
                         st.sampled_from(list(PositionMode)), st.integers(-3, 3), st.integers(0, 8), st.booleans(),
                         st.booleans()), max_size=40)


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_the_open_index_agrees_with_the_book_after_any_fills_and_undone_fills(ops) -> None:  # type: ignore[no-untyped-def]
    book = PositionBook()
    for number, (account, symbol, mode, quantity, close, undo, _) in enumerate(ops):
        if not quantity:
            continue
        close_id = f"O{close}" if mode is PositionMode.HEDGING and close < number else None
        keys = book.touched(mode, account, symbol, f"O{number}", close_id)
        saved = book.snapshot(keys)
        book.apply(mode, account, symbol, f"O{number}", close_id, D(quantity), D(100 + number), D(1))
        if undo:   # the fill's transaction failed
            book.restore(saved)
    for account in ("ACC-1", "ACC-2"):
        expected = {p.position_id: p for p in book.positions.values() if p.account_id == account and p.quantity}
        assert {p.position_id: p for p in book.of_account(account)} == expected
        assert all(p is book.positions[p.position_id] for p in book.of_account(account))
        for symbol in ("EUR/USD", "BTC/USDT"):
            assert book.net(account, symbol) == sum(
                (p.quantity for p in book.positions.values() if p.account_id == account and p.symbol == symbol),
                Decimal(0))
