"""The journal always balances, balances are the sum of entries, and a reference is booked once."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ledger import EntryKind, Ledger, LedgerAccount, Posting, UnbalancedEntry, wallet
from engine.ports import utc_now

ACCOUNTS = [wallet("ACC-1"), wallet("ACC-2"), LedgerAccount("broker-a", "markup_revenue"),
            LedgerAccount("broker-a", "clearing"), LedgerAccount("bank", "cash")]
AMOUNTS = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2, allow_nan=False)


@given(st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), st.sampled_from(["USD", "BTC"]),
                          AMOUNTS, st.sampled_from(list(EntryKind)), st.integers(0, 30)), max_size=60))
def test_the_journal_balances_and_balances_are_the_sum_of_their_entries(transfers) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(utc_now)
    for source, target, currency, amount, kind, reference in transfers:
        ledger.transfer(kind, str(reference), source, target, currency, amount)
    for currency in ("USD", "BTC"):
        assert sum(ledger.balance(account, currency) for account in ACCOUNTS) == 0
    for account in ACCOUNTS:
        for currency in ("USD", "BTC"):
            expected = sum((p.amount for e in ledger.entries for p in e.postings
                            if p.account == account and p.currency == currency), Decimal(0))
            assert ledger.balance(account, currency) == expected


def test_an_unbalanced_entry_is_refused_and_changes_nothing() -> None:
    ledger = Ledger(utc_now)
    with pytest.raises(UnbalancedEntry):
        ledger.post(EntryKind.ADJUSTMENT, "x", [Posting(wallet("ACC-1"), "USD", Decimal(5))])
    assert ledger.entries == [] and ledger.balance(wallet("ACC-1"), "USD") == 0


def test_the_same_reference_is_booked_once() -> None:
    ledger = Ledger(utc_now)
    first = ledger.transfer(EntryKind.DEPOSIT, "pay-1", LedgerAccount("bank", "cash"), wallet("A"), "USD", Decimal(5))
    again = ledger.transfer(EntryKind.DEPOSIT, "pay-1", LedgerAccount("bank", "cash"), wallet("A"), "USD", Decimal(5))
    assert again is first and ledger.balance(wallet("A"), "USD") == 5
