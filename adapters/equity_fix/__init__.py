"""Equity broker over FIX 4.2 (the FIX Protocol Ltd. FIX 4.2 specification with Errata 20010501, through our
dictionary fix_specs/FIX42.xml), with venue profiles for US (NYSE/Nasdaq), Hong Kong (HKEX) and India (NSE).

What it does: NewOrderSingle (D, HandlInst=1), OrderCancelRequest (F), OrderCancelReplaceRequest (G) and
OrderStatusRequest (H) out; ExecutionReport (8, ExecTransType 0 and 3, ExecType 0/1/2/3/4/5/8/C/D),
OrderCancelReject (9) and BusinessMessageReject (j) in (a refused cancel or replace is a CANCEL_REJECTED report);
MarketDataRequest (V) for top of book with W/X/Y in. Orders outside the session, off the lot, off the tick or
outside the price band are refused before they are sent (profiles.py). A sale is sent as Side=5 (sell short) in
the US and HK profiles unless ``long_position`` (a constructor callback) says the account holds enough shares; a
US short sale carries the locate Reg SHO requires: LocateReqd(114)=Y, or N with ``locate_broker`` in the
user-defined LocateBroker(5700).
The initiator reconnects by itself; after each logon it resubscribes and reconciles open orders with
OrderStatusRequest. An order sent before a hub restart is asked for with the Symbol and Side the hub gives and
adopted if the broker has it.

What it leaves out: pre- and post-market sessions, auctions (HKEX pre-opening and closing auction, NSE pre-open),
exchange holidays, HKEX odd-lot trading, F&O lots, NSE's dynamic bands for F&O stocks (a fixed 10% is used),
GTD orders, trade busts and corrections (ExecTransType 1/2 are logged only), and
matching a session-level Reject (35=3) to the cancel or replace it refuses (it names only a MsgSeqNum).
"""
from adapters.equity_fix.config import EquityFixConfig
from adapters.equity_fix.venue import EquityFixVenue

__all__ = ["EquityFixConfig", "EquityFixVenue"]
