"""Binance spot, through the venue contract (engine/ports.py).

Follows Binance's public spot API documentation, github.com/binance/binance-spot-api-docs at commit a5e0bc3
(CHANGELOG "Last Updated: 2026-07-17"): rest-api.md (HMAC-SHA256 SIGNED requests, timestamp/recvWindow,
X-MBX-USED-WEIGHT-1M, 429 Retry-After and 418 bans, -1007 and 5xx as "status unknown"), filters.md, errors.md,
web-socket-streams.md (`<symbol>@bookTicker`, `<symbol>@depth@100ms` and the local order book procedure),
web-socket-api.md and user-data-stream.md (`userDataStream.subscribe.signature`; the listenKey flow is not used).

Orders: MARKET -> MARKET; LIMIT -> LIMIT, or LIMIT_MAKER with ``place(order, post_only=True)``; STOP and STOP_LIMIT
-> STOP_LOSS and STOP_LOSS_LIMIT when the stop lies beyond the market in the adverse direction (a buy stop above it,
a sell stop below it), else TAKE_PROFIT and TAKE_PROFIT_LIMIT, which Binance triggers when the price comes back to
the stop. newClientOrderId is our order ID; each cancelReplace gives the new order "<order ID>-r<n>", and status
queries follow that chain on the order's symbol; an order placed before a restart is adopted from that record (its
trades so far count as reported). A refused cancel or replace is a CANCEL_REJECTED report. TimeInForce GTC, IOC,
FOK (DAY and GTD are refused). Filters PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL and MIN_NOTIONAL are
checked before sending.

FIX order entry (``BinanceConfig.order_transport = "fix"``) follows fix-api.md of the same commit (its last change
2026-07-17) and Binance's QuickFIX schema fix/schemas/spot-fix-oe.xml (last changed 2026-03-09), shipped unchanged as
fix_specs/BINANCE-FIX44-OE.xml: Logon <A> with RawData(96) = base64 Ed25519 signature of MsgType, SenderCompID,
TargetCompID, MsgSeqNum and SendingTime joined by SOH, Username(553) = the Ed25519 API key, ResetSeqNumFlag=Y,
MessageHandling(25035); NewOrderSingle <D>, OrderCancelRequest <F>, OrderCancelRequestAndNewOrderSingle <XCN>
(STOP_ON_FAILURE) for replace; ExecutionReport <8>, OrderCancelReject <9>, Reject <3> with ErrorCode(25016) back.
Binance's FIX has no order status request, so status queries, adoption and reconciliation use REST (HMAC key) as
before; -1006/-1007 and answers lost with a dropped session are settled by those queries, never taken for rejects.
The message limit (10,000 per 10 s) is kept on our side; News <B> (maintenance) moves the flow to a new session
under the next SenderCompID before the old one logs out. Market data and drop copy sessions are not used.

Cross margin (developers.binance.com, Margin Trading): ``borrow``/``repay`` through POST
/sapi/v1/margin/borrow-repay and ``margin_level`` from GET /sapi/v1/margin/account. With
``BinanceConfig.account_type = "margin"`` (REST transport only) orders go to POST/DELETE/GET /sapi/v1/margin/order
(weights 6, 10, 10) and trades come from GET /sapi/v1/margin/myTrades (10), all with isIsolated=FALSE; each new order
carries ``BinanceConfig.side_effect``'s sideEffectType (MARGIN_BUY for buys and AUTO_REPAY for sells by default).
Reports come from the margin account's own user data stream: a listenToken from POST /sapi/v1/userListenToken,
subscribed on the WebSocket API with userDataStream.subscribe.listenToken (a new token on every reconnect). Binance
margin has no cancelReplace, so a replace there is refused (CANCEL_REJECTED, -1020): cancel and place anew.

Left out: isolated margin, autoRepayAtCancel and margin OCO/OTO, renewing a listenToken before its 24 hours run out
on a connection that stays up that long, trailing stops, iceberg, OCO/OTO order lists, SOR, order amend (keep priority), quoteOrderQty market orders,
PERCENT_PRICE filters, RSA and Ed25519 keys on REST, FIX market data and drop copy, LimitQuery <XLQ>, SBE, and the
trade stream.
"""
from adapters.binance.config import BinanceConfig
from adapters.binance.venue import BinanceVenue

__all__ = ["BinanceConfig", "BinanceVenue"]
