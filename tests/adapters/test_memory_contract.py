from decimal import Decimal as D

from adapters.memory import MemoryVenue
from tests.adapters.contract import check_contract


async def test_memory_venue_keeps_the_contract() -> None:
    venue = MemoryVenue("mem", {"EUR/USD": (D("1.0834"), D("1.0835"))})
    await venue.connect()

    async def fresh() -> MemoryVenue:
        other = venue.restarted()
        await other.connect()
        return other

    await check_contract(venue, symbol="EUR/USD", quantity=D("1000"), resting_buy_price=D("1.0"), fresh=fresh)
