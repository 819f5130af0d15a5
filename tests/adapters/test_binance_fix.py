"""The Binance adapter with orders over Binance's FIX order entry session, against the simulator's FIX acceptor on
the same matching engine as its REST API: the Ed25519 Logon, refusals carrying Binance's error codes, replace as XCN,
and a new session taken over when Binance announces maintenance (the venue contract over FIX is
test_contract.py's)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from adapters.binance import BinanceConfig, BinanceVenue
from adapters.binance.fix_api import load_private_key, logon_raw_data
from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.domain.rejects import retryable
from engine.ports import ReportKind, VenueDown, VenueOrder, utc_now
from fix_sessions.dictionary import load
from fix_specs import path as spec_path
from simulators.binance import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator
from tests.adapters.contract import Recorder

FIX_API_KEY = "sim-fix-api-key"
KEY = Ed25519PrivateKey.generate()


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def fix_config(sim: BinanceSimulator, comp_ids: tuple[str, ...] = ("HUB1", "HUB2"),
               key: Ed25519PrivateKey = KEY) -> BinanceConfig:
    return BinanceConfig(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET, rest_url=sim.rest_url,
                         stream_url=sim.stream_url, ws_api_url=sim.ws_api_url, reconnect_delay=0.05,
                         max_reconnect_delay=1.0, reconcile_delay=0.05, connect_timeout=3.0, max_backoff_wait=1.0,
                         order_transport="fix", fix_api_key=FIX_API_KEY, fix_private_key_pem=pem(key),
                         fix_host="127.0.0.1", fix_port=sim.fix_port, fix_tls=False, fix_sender_comp_ids=comp_ids,
                         fix_heartbeat_interval=5)


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    simulator = BinanceSimulator(walk_interval=None, seed=7)
    simulator.register_fix_key(FIX_API_KEY, KEY.public_key())
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def venue(sim: BinanceSimulator) -> AsyncIterator[tuple[BinanceVenue, Recorder]]:
    binance = BinanceVenue(fix_config(sim), clock=utc_now)
    recorder = Recorder()
    binance.on_report(recorder.report)
    await binance.connect()
    yield binance, recorder
    await binance.close()


def limit_buy(order_id: str, quantity: str, price: str) -> VenueOrder:
    return VenueOrder(order_id, "BTC/USDT", Side.BUY, OrdType.LIMIT, D(quantity), TimeInForce.GTC, price=D(price))


def test_the_logon_signature_matches_binances_worked_example() -> None:
    key = load_private_key("-----BEGIN PRIVATE KEY-----\n"
                           "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n"
                           "-----END PRIVATE KEY-----\n")
    assert logon_raw_data(key, "EXAMPLE", "SPOT", "1", "20240627-11:17:25.223") == (
        "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA==")


def test_the_dictionary_holds_binances_order_entry_messages() -> None:
    dictionary = load(str(spec_path("BINANCE-FIX44-OE.xml")))
    assert {b"A", b"D", b"F", b"XCN", b"8", b"9", b"B", b"XLQ", b"XLR"} <= set(dictionary.messages)
    assert dictionary.tags_by_name["MessageHandling"] == 25035 and dictionary.tags_by_name["ErrorCode"] == 25016


def test_fix_needs_an_ed25519_key_and_valid_sender_comp_ids() -> None:
    with pytest.raises(ValueError, match="fix_api_key"):
        BinanceConfig(api_key="k", api_secret="s", order_transport="fix")
    with pytest.raises(ValueError, match="fix_sender_comp_ids"):
        BinanceConfig(api_key="k", api_secret="s", order_transport="fix", fix_api_key="f",
                      fix_private_key_pem=pem(KEY), fix_sender_comp_ids=("TOO-LONG-ID",))
    env = {"BINANCE_API_KEY": "k", "BINANCE_API_SECRET": "s", "BINANCE_ORDER_TRANSPORT": "fix",
           "BINANCE_FIX_API_KEY": "f", "BINANCE_FIX_PRIVATE_KEY": pem(KEY),
           "BINANCE_FIX_URL": "tcp+tls://fix-oe.binance.com:9000", "BINANCE_FIX_SENDER_COMP_IDS": "A1,A2"}
    config = BinanceConfig.from_env(env)
    assert (config.fix_host, config.fix_port, config.fix_tls, config.fix_sender_comp_ids) == (
        "fix-oe.binance.com", 9000, True, ("A1", "A2"))
    assert "PRIVATE KEY" not in repr(config) and "'f'" not in repr(config)


async def test_a_bad_ed25519_signature_is_refused_at_logon(sim: BinanceSimulator) -> None:
    binance = BinanceVenue(fix_config(sim, key=Ed25519PrivateKey.generate()), clock=utc_now)   # not Binance's key
    with pytest.raises(VenueDown, match="-1022 Signature for this request is not valid"):
        await binance.connect()
    await binance.close()
    assert sim.fix is not None and sim.fix.refused_logons == [(-1022, "Signature for this request is not valid.")]
    assert not binance.health().connected


async def test_a_sender_comp_id_in_use_is_refused(sim: BinanceSimulator,
                                                  venue: tuple[BinanceVenue, Recorder]) -> None:
    twin = BinanceVenue(fix_config(sim, ("HUB1",)), clock=utc_now)
    with pytest.raises(VenueDown, match="-1033"):
        await twin.connect()
    await twin.close()


async def test_an_order_placed_over_fix_rests_in_the_rest_simulators_book(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.place(limit_buy("FIX-1", "0.01", "50000"))
    await recorder.until(lambda: bool(recorder.of("FIX-1", ReportKind.ACCEPTED)))
    open_orders = await binance._rest.signed("GET", "/api/v3/openOrders", [("symbol", "BTCUSDT")], weight=6)
    assert [(o["clientOrderId"], o["origQty"], o["price"]) for o in open_orders] == [
        ("FIX-1", "0.01000000", "50000.00000000")]
    await binance.cancel("FIX-1")
    await recorder.until(lambda: bool(recorder.of("FIX-1", ReportKind.CANCELED)))
    assert sim.exchange.open_orders("BTCUSDT") == []


async def test_a_refused_new_order_is_rejected_with_binances_error(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    sim.exchange.balances["USDT"] = D(10)
    await binance.place(limit_buy("FIX-POOR", "0.01", "50000"))
    await recorder.until(lambda: bool(recorder.of("FIX-POOR", ReportKind.REJECTED)))
    rejected = recorder.of("FIX-POOR", ReportKind.REJECTED)[0]
    assert rejected.reason == "-2010 NEW_ORDER_REJECTED: Account has insufficient balance for requested action."
    assert rejected.code == "insufficient_funds" and retryable(rejected.code)
    assert rejected.status is OrdStatus.REJECTED


async def test_a_refused_cancel_is_cancel_rejected_with_binances_error(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.place(limit_buy("FIX-GONE", "0.01", "50000"))
    await recorder.until(lambda: bool(recorder.of("FIX-GONE", ReportKind.ACCEPTED)))
    order = sim.exchange.open_orders("BTCUSDT")[0]
    sim.exchange.silent_orders.add(order.order_id)      # gone at Binance without a word to us
    sim.exchange.cancel("BTCUSDT", str(order.order_id), None)
    await binance.cancel("FIX-GONE")
    await recorder.until(lambda: bool(recorder.of("FIX-GONE", ReportKind.CANCEL_REJECTED)))
    assert recorder.of("FIX-GONE", ReportKind.CANCEL_REJECTED)[0].reason == \
        "-2011 CANCEL_REJECTED: Unknown order sent."
    assert not recorder.of("FIX-GONE", ReportKind.REJECTED)


async def test_replace_goes_as_xcn_and_the_new_order_carries_the_new_quantity(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.place(limit_buy("FIX-R", "0.01", "50000"))
    await recorder.until(lambda: bool(recorder.of("FIX-R", ReportKind.ACCEPTED)))
    await binance.replace("FIX-R", D("0.03"), D("50500"))
    await recorder.until(lambda: bool(recorder.of("FIX-R", ReportKind.REPLACED)))
    [live] = sim.exchange.open_orders("BTCUSDT")
    assert (live.client_order_id, live.quantity, live.price) == ("FIX-R-r1", D("0.03"), D(50500))
    assert not recorder.of("FIX-R", ReportKind.CANCELED)
    sim.set_price("BTCUSDT", D(50400))
    await recorder.until(lambda: sum(r.last_quantity for r in recorder.of("FIX-R", ReportKind.FILL)) == D("0.03"))
    assert recorder.of("FIX-R", ReportKind.FILL)[-1].status is OrdStatus.FILLED


async def test_a_marketable_fix_order_fills_once_per_trade(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    await binance.place(VenueOrder("FIX-M", "BTC/USDT", Side.BUY, OrdType.MARKET, D("0.8"), TimeInForce.IOC))
    await recorder.until(lambda: sum(r.last_quantity for r in recorder.of("FIX-M", ReportKind.FILL)) == D("0.8"))
    fills = recorder.of("FIX-M", ReportKind.FILL)
    assert len(fills) == 2 and len({f.exec_id for f in fills}) == 2           # two levels of the book
    assert [t.trade_id for t in sim.exchange.trades] == [int(f.exec_id.split("-")[1]) for f in fills]


async def test_news_moves_the_flow_to_a_new_session_before_the_old_one_closes(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    assert sim.fix is not None
    sim.announce_maintenance()
    async with asyncio.timeout(5):
        while {s.target_comp_id for s in sim.fix.clients} != {"HUB2"}:
            await asyncio.sleep(0.02)
    assert binance.health().connected
    await binance.place(limit_buy("FIX-AFTER", "0.01", "50000"))
    await recorder.until(lambda: bool(recorder.of("FIX-AFTER", ReportKind.ACCEPTED)))


async def test_a_fill_missed_while_the_fix_session_was_down_is_reported_once_after_logon(
        sim: BinanceSimulator, venue: tuple[BinanceVenue, Recorder]) -> None:
    binance, recorder = venue
    assert sim.fix is not None
    await binance.place(limit_buy("FIX-DOWN", "0.01", "59000"))
    await recorder.until(lambda: bool(recorder.of("FIX-DOWN", ReportKind.ACCEPTED)))
    await sim.fix.drop_sessions()
    async with asyncio.timeout(3):
        while sim.fix.clients:
            await asyncio.sleep(0.01)
    sim.set_price("BTCUSDT", D(58900))                 # fills while nobody hears it (Binance resends nothing)
    await recorder.until(lambda: bool(recorder.of("FIX-DOWN", ReportKind.FILL)), timeout=5)
    assert binance.health().connected
    assert [f.last_quantity for f in recorder.of("FIX-DOWN", ReportKind.FILL)] == [D("0.01")]
