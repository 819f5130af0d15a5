"""A fill booked while no door could send it (the hub stopped between the commit and the send) reaches the trader's
FIX session and the broker's drop copy when the hub starts again, marked PossResend, once, with its ExecID; an order
sent again as a possible duplicate is answered with its status."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from dynamictech.hub import Hub, HubSettings
from engine.domain.order import OrdStatus, OrdType, Side
from engine.ledger import EntryKind, LedgerAccount, wallet
from engine.oms import NewOrder
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.settings import parse_settings
from fix_sessions.transport import SocketInitiator
from gateway.config import parse_bindings
from gateway.service import Gateway
from tests.fix_sessions.test_transport import Recorder, initiator_config, until
from tests.gateway.conftest import BROKER, PASSWORDS, PROP_FIRM, FixClient, bindings_table, gateway_cfg, seed, venues
from tests.gateway.messages import new_order
from tests.stubs import D, btcusdt, eurusd

BINDINGS = bindings_table({PROP_FIRM: {"accounts": ["ACC-1"]}}, {BROKER: {"tenant": "broker-a"}})


class Trader(Recorder):
    """The prop firm on our own initiator, logging on with its password."""

    def to_admin(self, message: Message, session_id: SessionID) -> None:
        if message.msg_type == b"A":
            message.set(553, session_id.sender_comp_id)
            message.set(554, PASSWORDS[session_id.sender_comp_id])


class Life:
    """One run of the hub and its gateway on the same database and FIX stores."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.hub = Hub(HubSettings(f"sqlite:///{tmp / 'hub.db'}", tick_seconds=0.05),
                       {"EUR/USD": eurusd(), "BTC/USDT": btcusdt()}, dict(venues()))
        self.gateway = Gateway(self.hub.services, parse_settings(gateway_cfg(tmp / "fix")),
                               parse_bindings(BINDINGS))
        self.clients: list[FixClient] = []

    async def start(self) -> None:
        await self.hub.start()
        await self.gateway.start()

    async def client(self, sender: str) -> FixClient:
        client = await FixClient.start(self.gateway.ports[0], self.tmp / f"client-{sender}", sender)
        self.clients.append(client)
        await client.logged_on()
        return client

    async def stop_gateway(self) -> None:
        for client in self.clients:
            await client.stop()
        await self.gateway.stop()


async def test_a_fill_booked_while_no_door_could_send_it_goes_out_when_the_hub_starts_again(tmp_path: Path) -> None:
    seed(f"sqlite:///{tmp_path / 'hub.db'}")
    first = Life(tmp_path)
    first.hub.oms.accounting.ledger.transfer(EntryKind.DEPOSIT, "dep-1", LedgerAccount("bank", "cash"),
                                             wallet("ACC-1"), "USD", D(100000))
    await first.start()
    trader, broker = await first.client(PROP_FIRM), await first.client(BROKER)
    trader.send("D", new_order("F1"))
    sent = await trader.next("8", lambda m: m[11] == "F1" and m[150] == "F")
    await broker.next("8", lambda m: m[11] == "F1")
    await first.stop_gateway()   # the doors are gone; the hub books one more fill (a REST order) and stops
    booked = await first.hub.oms.submit(NewOrder("R1", "ACC-1", "EUR/USD", Side.BUY, OrdType.MARKET, D(1)))
    assert booked.status is OrdStatus.FILLED
    await first.hub.stop()

    second = Life(tmp_path)
    await second.start()
    trader, broker = await second.client(PROP_FIRM), await second.client(BROKER)
    fill = await trader.next("8", lambda m: m[11] == "R1" and m[150] == "F")
    copy = await broker.next("8", lambda m: m[11] == "R1")
    assert fill.get(97) == copy.get(97) == "Y", "sent again after a restart: PossResend"
    assert fill[17] == copy[17] and (fill[39], Decimal(fill[14])) == ("2", 1)
    new = await trader.next("8", lambda m: m[11] == "R1" and m[150] == "0")
    assert new.get(97) == "Y"
    assert not [m for m in trader.of_type("8") + broker.of_type("8") if m[11] == "F1"], \
        "what the stores already held is not sent again"
    await second.stop_gateway()
    await second.hub.stop()

    third = Life(tmp_path)   # and once the stores hold it, it is not sent a third time
    await third.start()
    trader = await third.client(PROP_FIRM)
    trader.send("D", new_order("F2"))
    await trader.next("8", lambda m: m[11] == "F2" and m[150] == "F")
    assert [m[11] for m in trader.of_type("8")] == ["F2", "F2"], f"{sent[17]} and R1 are not sent again"
    await third.stop_gateway()
    await third.hub.stop()


async def test_an_order_sent_again_as_a_possible_duplicate_is_answered_with_its_status(tmp_path: Path) -> None:
    """What a client's resend brings after the hub stopped between journaling an order and counting its message."""
    seed(f"sqlite:///{tmp_path / 'hub.db'}")
    life = Life(tmp_path)
    life.hub.oms.accounting.ledger.transfer(EntryKind.DEPOSIT, "dep-1", LedgerAccount("bank", "cash"),
                                            wallet("ACC-1"), "USD", D(100000))
    await life.start()
    client_app = Trader()
    client = SocketInitiator([initiator_config(life.gateway.ports[0], PROP_FIRM)], client_app)
    session = SessionID("FIX.4.4", PROP_FIRM, "HUB")
    await client.start()
    try:
        await until(lambda: len(client_app.logons) == 1, "the logon")

        def reports(cl_ord_id: str) -> list[Message]:
            return [m for _, m in client_app.messages if m.get_str(11) == cl_ord_id]

        await client.send_to_target(session, b"D", new_order("P1"))
        await until(lambda: any(m.get(150) == b"F" for m in reports("P1")), "the fill")
        filled = next(m for m in reports("P1") if m.get(150) == b"F")
        await client.send_to_target(session, b"D", new_order("P1"), [(43, "Y"), (122, filled.get_str(52))])
        await until(lambda: len(reports("P1")) == 3, "the answer to the resend")
        answer = reports("P1")[-1]
        assert (answer.get(150), answer.get(39), answer.get(37)) == (b"I", b"2", filled.get(37)), \
            "its status, not a duplicate ClOrdID's reject"
        assert len(life.hub.oms.history("ACC-1", 10)) == 1
    finally:
        await client.stop()
        await life.stop_gateway()
        await life.hub.stop()
