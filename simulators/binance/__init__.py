"""A Binance spot venue on loopback: the REST endpoints, market data streams and WebSocket API user data stream
that adapters/binance uses, in Binance's JSON formats, with its signature, timestamp, filter and weight checks and
its error codes; the FIX order entry endpoint (fix_acceptor.py: Ed25519 Logon, D/F/XCN/q/XLQ, ExecutionReports to
every session of the account) on the same matching engine; the cross margin account's borrow/repay and account
endpoints (margin.py), and cross margin orders with sideEffectType on the same books from the margin wallet, their
executionReports on a margin user data stream subscribed with a listenToken (margin_orders.py). A synthetic book per
symbol follows a random walk; one account trades against it.

Scenario API (methods on BinanceSimulator, and POST /sim/... over HTTP): set_price, force_partial_fill,
timeout_next_order (-1007 while the order does exist), skip_depth_updates (a sequence gap), drop_websockets,
rate_limit_now (429, then 418 for clients that keep sending), ban_now, add_latency, register_fix_key,
announce_maintenance (News <B> to every FIX session), fund_margin.

Left out: the user's resting orders are not shown in the public book, commissions are zero, balances are checked
but not locked, no order lists, SOR, amend, pegged or trailing orders, no isolated margin, no margin interest, no
autoRepayAtCancel (a MARGIN_BUY loan stays when its order is canceled), no FIX
market data or drop copy, FIX without TLS.
"""
from simulators.binance.server import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator

__all__ = ["TEST_API_KEY", "TEST_API_SECRET", "BinanceSimulator"]
