"""A group's leverage per asset class caps its accounts' leverage in the margin a position uses: a broker gives
crypto 2:1 while forex keeps the account's 100:1 (the web test shows the pre-trade check refusing on it)."""
from __future__ import annotations

from decimal import Decimal

from engine.domain.position import Position
from engine.domain.tenancy import Account, Group
from engine.margin import snapshot
from tests.stubs import btcusdt, eurusd

D = Decimal


def test_the_groups_crypto_cap_is_the_margin_crypto_uses_and_forex_keeps_the_accounts_leverage() -> None:
    account = Account("ACC-1", "broker-a", "trader", "mixed", leverage=D(100))
    group = Group("mixed", "broker-a", max_leverage=D(100), leverage={"crypto": D(2)})
    instruments = {"BTC/USDT": btcusdt(), "EUR/USD": eurusd()}
    positions = [Position("ACC-1", "BTC/USDT", D("0.1"), D(60000)), Position("ACC-1", "EUR/USD", D(1), D("1.1"))]
    marks = {"BTC/USDT": D(60000), "EUR/USD": D("1.1")}

    def rates(source: str, target: str) -> Decimal:
        return D(1)

    plain = snapshot(account, D(10000), positions, instruments, marks, rates)
    capped = snapshot(account, D(10000), positions, instruments, marks, rates, group)
    # BTC: 6,000 notional at the instrument's own 20% without the group, 50% (2:1) with it; EUR/USD: 110,000 at 1%
    assert plain.used_margin == D(1200) + D(1100)
    assert capped.used_margin == D(3000) + D(1100)
    assert capped.free_margin == D(10000) - D(4100)
    uncapped = Group("mixed", "broker-a", max_leverage=D(100))
    assert snapshot(account, D(10000), positions, instruments, marks, rates, uncapped) == plain
