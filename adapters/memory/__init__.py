"""An in-memory venue for tests and benchmarks: it keeps the venue contract (engine/ports.py) with no network.

It fills marketable orders at its quote, rests limit orders, and can be told to fill partially, reject the next
orders with a reason and a code, take time, or go down. ``restarted()`` gives a second instance on the same market,
as a restarted hub sees it. It is the reference every real adapter's contract test compares with.
"""
from adapters.memory.config import MemoryConfig
from adapters.memory.venue import MemoryVenue

__all__ = ["MemoryConfig", "MemoryVenue"]
