"""Equity broker over FIX 4.2 (the FIX Protocol Ltd. FIX 4.2 specification with Errata 20010501, through our
dictionary fix_specs/FIX42.xml), with venue profiles for US (NYSE/Nasdaq), Hong Kong (HKEX) and India (NSE).

What it does: NewOrderSingle (D, HandlInst=1), OrderCancelRequest (F), OrderCancelReplaceRequest (G) and
OrderStatusRequest (H) out; ExecutionReport (8, ExecTransType 0 and 3, ExecType 0/1/2/3/4/5/8/C/D) and
OrderCancelReject (9) in; MarketDataRequest (V) for top of book with W/X/Y in. Orders outside the session, off
the lot, off the tick or outside the price band are refused before they are sent (profiles.py). A sale is sent
as Side=5 (sell short) in the US and HK profiles unless ``long_position`` (a constructor callback) says the
account holds enough shares. The initiator reconnects by itself; after each logon it resubscribes and reconciles
open orders with OrderStatusRequest.

What it leaves out: pre- and post-market sessions, auctions (HKEX pre-opening and closing auction, NSE pre-open),
exchange holidays, HKEX odd-lot trading, F&O lots, NSE's dynamic bands for F&O stocks (a fixed 10% is used),
Reg SHO locates (LocateReqd), GTD orders, trade busts and corrections (ExecTransType 1/2 are logged only), and
status for orders placed before a restart (FIX 4.2's H needs a Symbol and Side the venue contract does not pass).
"""
from adapters.equity_fix.config import EquityFixConfig
from adapters.equity_fix.venue import EquityFixVenue

__all__ = ["EquityFixConfig", "EquityFixVenue"]
