"""PrimeXM XCore over FIX 4.4: quotes and orders for FX, metals and index CFDs (the A-Book's FX liquidity).

Follows docs/venues/primexm-fix44.md, the public evidence of PrimeXM's dialect (github.com/mkst/pricefeed,
2021: its spec/pxm44.xml and test traffic); the dialect's dictionary is fix_specs/PRIMEXM44.xml. PrimeXM's own
specification is under NDA, so anything this adapter does not expect is logged, not guessed at.

Left out: the custom TimeToLive(10000), MinQty, Account and SecondaryClOrdID on orders; StreamName-based
routing beyond sending the configured name; unsubscribing (the Venue contract has no such call); SettlDate;
market depth beyond the top of book (levels are kept, only the top is published). Stop-limit orders are refused
in PrimeXM's dialect (its OrdType has none) and taken in the plain FIX 4.4 one. Cancel, replace, order status
and OrderCancelReject are not in the public evidence: they are sent the standard FIX 4.4 way and an LP that
answers them with a BusinessMessageReject is understood. A refused cancel or replace (OrderCancelReject, or a
BusinessMessageReject or Reject of the F or G) is a CANCEL_REJECTED report; REJECTED is for refused new orders.
order_status asks with the order's ClOrdID, Symbol and Side, so after a hub restart an order placed before it is
found and adopted.
"""
from adapters.primexm.config import PrimeXMConfig
from adapters.primexm.instruments import InstrumentMap, VenueInstrument
from adapters.primexm.venue import PrimeXMVenue

__all__ = ["InstrumentMap", "PrimeXMConfig", "PrimeXMVenue", "VenueInstrument"]
