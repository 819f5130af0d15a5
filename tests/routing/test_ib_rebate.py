"""IBs earn on their clients' trading: a rebate per lot by their place in the tree, out of the broker's commission."""
from __future__ import annotations

from engine.domain.order import OrdType, Side
from engine.domain.tenancy import Account, Role, User
from engine.domain.terms import RebatePlan
from engine.ledger import EntryKind, LedgerAccount
from engine.oms import NewOrder
from tests.stubs import D, hub


async def test_each_ib_above_the_trader_earns_its_rebate_and_the_broker_keeps_the_rest() -> None:
    h = hub(commission_per_lot="7", rebates=RebatePlan({Role.MASTER_IB: D("1"), Role.IB: D("2"),
                                                        Role.SUB_IB: D("3")}))
    directory = h.oms.directory
    directory.add_user(User("master", "broker-a", Role.MASTER_IB, referrer_id="broker-a-owner"))
    directory.add_user(User("ib", "broker-a", Role.IB, referrer_id="master"))
    directory.add_user(User("trader-2", "broker-a", Role.END_USER, referrer_id="ib"))
    directory.add_account(Account("ACC-2", "broker-a", "trader-2", "standard"))
    h.ledger.transfer(EntryKind.DEPOSIT, "dep-2", LedgerAccount("bank", "cash"), LedgerAccount("ACC-2", "wallet"),
                      "USD", D(10000))
    await h.oms.submit(NewOrder("c1", "ACC-2", "EUR/USD", Side.BUY, OrdType.MARKET, D(2)))
    assert h.ledger.balance(LedgerAccount("ib", "ib_commission"), "USD") == D(4)          # 2 lots x 2
    assert h.ledger.balance(LedgerAccount("master", "ib_commission"), "USD") == D(2)      # 2 lots x 1
    assert h.revenue("commission_revenue") == D(14) - D(6)                                 # 2 lots x 7, less rebates
    await h.oms.submit(NewOrder("c2", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))  # referred by the broker
    assert h.ledger.balance(LedgerAccount("ib", "ib_commission"), "USD") == D(4), "no IB above ACC-1's trader"
