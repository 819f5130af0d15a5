"""``dynamictech demo``: the whole platform in one process on embedded defaults - SQLite, the in-process bus, the
three venue simulators on loopback, their adapters, the hub, the client FIX order-entry and drop-copy acceptors
(127.0.0.1:9878 and :9879), and the web terminal (http://127.0.0.1:8080) - with a demo broker, an IB and two funded
traders.

Everything here is demo data: the logins are printed on purpose and the simulators' keys are their public test
fixtures. A broker's real deployment configures its own tenants and venues; nothing in this module is used then.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import structlog
from sqlmodel import Session

from adapters.binance import BinanceVenue
from adapters.binance.config import BinanceConfig
from adapters.equity_fix import EquityFixConfig, EquityFixVenue
from adapters.equity_fix.instruments import STOCKS
from adapters.equity_fix.profiles import PROFILES
from adapters.primexm import PrimeXMVenue
from adapters.primexm.config import PrimeXMConfig
from dynamictech.hub import Hub, HubSettings
from dynamictech.runtime import settle_heap, stop_signal
from engine.domain.instrument import AssetClass, Instrument
from engine.domain.rebates import LevelRate, RebatePlan, Schedule
from engine.domain.tenancy import PLATFORM_TENANT, Account, Directory, Group, PositionMode, Role, Tenant, User
from engine.domain.terms import CommissionPlan, CommissionUnit, Markup, MarkupUnit, RouteRule
from engine.ledger import EntryKind, LedgerAccount, wallet
from engine.ports import PastBar, utc_now
from engine.storage.access import SqlAccess, hash_password, load_fernet
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.directory import SqlDirectory
from engine.storage.rebates import SqlRebates
from engine.storage.tables import TenantRecord
from engine.storage.unit_of_work import UnitOfWork
from fix_sessions.settings import parse_settings
from fix_specs import path as spec_path
from gateway.config import parse_bindings
from gateway.service import Gateway
from simulators.binance.book import default_symbols
from simulators.binance.server import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator
from simulators.equity.simulator import EquitySimulator
from simulators.fx_lp.lp import FxLP, FxLPConfig
from simulators.fx_lp.pricing import SPECS
from simulators.history import PastBar as SimulatedBar
from web.app import create_app, serve

log = structlog.get_logger("dynamictech.demo")
D = Decimal
TENANT = "demo-broker"
REGION = "emea"         # the demo broker's region, which the demo admin is assigned
# Every role of the tree, each with its login: the platform's super admin and an admin, the broker, a master IB,
# an IB and a sub-IB below it, and two traders.
LOGINS = {"superadmin": "superadmin-demo", "admin": "admin-demo", "broker": "broker-demo", "master": "master-demo",
          "ib": "ib-demo", "subib": "subib-demo", "alice": "alice-demo", "bob": "bob-demo"}
ACCOUNTS = {"alice": "ALICE-USD", "bob": "BOB-USD"}
# The client FIX doors: a counterparty's SenderCompID -> what it is bound to (our CompID is DYNAMICTECH).
FIX_CLIENTS = {"ALICE": ACCOUNTS["alice"], "BOB": ACCOUNTS["bob"]}
FIX_DROP_COPY = "DEMOBROKER-DC"
# Username(553) is the CompID; Password(554) below (the banner prints both, as it does the web logins).
FIX_LOGINS = {"ALICE": "alice-fix-demo", "BOB": "bob-fix-demo", FIX_DROP_COPY: "dropcopy-demo"}
# What the Binance simulator trades but the demo does not list: the broker lists it from the back office.
UNLISTED = frozenset({"DOGEUSDT"})
CONTRACT_SIZES = {"XAU/USD": D(100), "XAG/USD": D(5000)}
INDICES = {"US30", "NAS100", "SPX500", "GER40"}


def instruments() -> dict[str, Instrument]:
    """What the demo trades: the fx-lp's forex, metals and indices, the Binance simulator's crypto, the equity
    simulator's stocks, with the venues' own ticks and lots."""
    out: dict[str, Instrument] = {}
    for symbol, spec in SPECS.items():
        index = symbol in INDICES
        base, quote = (symbol, spec.currency) if index else symbol.split("/")
        asset_class = AssetClass.COMMODITY if symbol in CONTRACT_SIZES or index else AssetClass.FX
        out[symbol] = Instrument(symbol, asset_class, base, quote, spec.tick, D("0.01"), D("0.01"), D(100),
                                 D("0.05") if index or symbol in CONTRACT_SIZES else D("0.01"),
                                 contract_size=CONTRACT_SIZES.get(symbol, D(1) if index else D(100_000)))
    for spec in default_symbols():
        if spec.symbol in UNLISTED:
            continue
        symbol = f"{spec.base}/{spec.quote}"
        out[symbol] = Instrument(symbol, AssetClass.CRYPTO, spec.base, spec.quote, spec.tick_size, spec.step_size,
                                 spec.min_qty, spec.max_qty, D("0.2"))
    currencies = {"US": "USD", "HK": "HKD", "IN": "INR"}
    for stock in STOCKS:
        profile = PROFILES[stock.market]
        out[stock.symbol] = Instrument(stock.symbol, AssetClass.EQUITY, stock.symbol.split(".")[0],
                                       currencies[stock.market.value], D("0.001"), stock.lot, stock.lot,
                                       D(1_000_000), D("0.25"), market=stock.market,
                                       board_lot=stock.lot if stock.lot > 1 else None, sessions=profile.sessions)
    return out


def seed(access: SqlAccess) -> None:
    """The platform's people and the demo tenant, once, into a new database: a super admin, an admin of the
    tenant's region, a broker, its IB tree (master IB, IB, sub-IB), and two traders (alice under the IB, bob under
    the sub-IB). A database seeded before is left alone: what the back office changed since (a markup, a route, a
    password) outlives a restart."""
    with Session(access.unit.engine) as session:
        if session.get(TenantRecord, TENANT) is not None:
            return
    directory = Directory()
    directory.add_tenant(Tenant(TENANT, "Demo Broker", region=REGION))
    directory.add_user(User("superadmin", PLATFORM_TENANT, Role.SUPER_ADMIN, name="Platform owner"))
    directory.add_user(User("admin", PLATFORM_TENANT, Role.ADMIN, name="EMEA admin", region=REGION))
    directory.add_user(User("broker", TENANT, Role.BROKER, name="Demo Broker desk"))
    directory.add_user(User("master", TENANT, Role.MASTER_IB, referrer_id="broker", name="Master IB",
                            referral_code="MASTER1"))
    directory.add_user(User("ib", TENANT, Role.IB, referrer_id="master", name="IB", referral_code="IB1"))
    directory.add_user(User("subib", TENANT, Role.SUB_IB, referrer_id="ib", name="Sub-IB", referral_code="SUBIB1"))
    directory.add_user(User("alice", TENANT, Role.END_USER, referrer_id="ib", name="Alice"))
    directory.add_user(User("bob", TENANT, Role.END_USER, referrer_id="subib", name="Bob"))
    directory.add_group(Group("standard", TENANT, max_leverage=D(100)))
    directory.add_group(Group("vip", TENANT, max_leverage=D(200)))
    directory.add_account(Account(ACCOUNTS["alice"], TENANT, "alice", "standard"))
    directory.add_account(Account(ACCOUNTS["bob"], TENANT, "bob", "vip", leverage=D(200),
                                  position_mode=PositionMode.HEDGING))
    store = SqlDirectory(access.unit)
    store.save_directory(directory)
    store.save_route_rules([RouteRule(("fx-lp",), asset_class=AssetClass.FX),
                            RouteRule(("fx-lp",), asset_class=AssetClass.COMMODITY),
                            RouteRule(("binance",), asset_class=AssetClass.CRYPTO),
                            RouteRule(("equity",), asset_class=AssetClass.EQUITY)])
    store.save_markups({(TENANT, "standard", "*"): Markup.both(D("0.002"), MarkupUnit.PERCENT),
                        (TENANT, "vip", "*"): Markup.both(D("0.001"), MarkupUnit.PERCENT)})
    store.save_commission_plans(directory, {"standard": CommissionPlan(D(3), CommissionUnit.LOT),
                                            "vip": CommissionPlan(D("0.00002"), CommissionUnit.NOTIONAL)})
    for user, password in LOGINS.items():
        access.set_password(user, user, password)
    # The IB tree earns per lot: the sub-IB 1 USD, the IB 1.50 (0.50 over the sub-IB), the master 2 (0.50 over the IB).
    SqlRebates(access.unit).save(RebatePlan("demo-ib", TENANT, {
        Role.MASTER_IB: LevelRate(per_lot=D(2)), Role.IB: LevelRate(per_lot=D("1.5")),
        Role.SUB_IB: LevelRate(per_lot=D(1))}, name="Demo IB rebates", schedule=Schedule.DAILY))


def _gateway_cfg(store: Path, ports: tuple[int, int]) -> str:
    """The doors' FIX sessions, QuickFIX-style: order entry on the first port, drop copy on the second."""
    store.mkdir(parents=True, exist_ok=True)
    sessions = "".join(f"\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=DYNAMICTECH\nTargetCompID={comp_id}\n"
                       f"SocketAcceptPort={ports[0]}\n" for comp_id in FIX_CLIENTS)
    sessions += (f"\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=DYNAMICTECH\nTargetCompID={FIX_DROP_COPY}\n"
                 f"SocketAcceptPort={ports[1]}\n")
    return (f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\nFileStorePath={store}\n"
            f"DataDictionary={spec_path('FIX44.xml')}\nNonStopSession=Y\n{sessions}")


class SimulatedPast:
    """engine.ports.History for a simulator whose venue protocol tells no past (the FX LP, the equity broker): its
    scenario API's walk. ``ticks`` there counts price updates; these venues report no volume."""

    def __init__(self, bars: Callable[[str, int, dt.datetime, dt.datetime], list[SimulatedBar]]) -> None:
        self.bars = bars

    async def past_bars(self, symbol: str, seconds: int, start: dt.datetime, end: dt.datetime) -> list[PastBar]:
        return [PastBar(b.start, b.open, b.high, b.low, b.close, b.trades) for b in self.bars(symbol, seconds, start,
                                                                                              end)]


@dataclass
class Demo:
    hub: Hub
    urls: dict[str, str]
    logins: dict[str, str] = field(default_factory=lambda: dict(LOGINS))
    fix_logins: dict[str, str] = field(default_factory=lambda: dict(FIX_LOGINS))
    stoppers: list = field(default_factory=list)  # type: ignore[type-arg]

    async def stop(self) -> None:
        """Stop in reverse order of start; one part failing to stop does not keep the others running."""
        for stop in reversed(self.stoppers):
            try:
                await stop()
            except Exception:
                log.exception("demo.stop_failed", part=getattr(stop, "__qualname__", repr(stop)))


async def start(data_dir: Path, web_host: str = "127.0.0.1", web_port: int = 8080,
                bus_url: str | None = None, fix_ports: tuple[int, int] = (9878, 9879),
                orders_per_second: int = 50, database_url: str | None = None,
                clock: Callable[[], dt.datetime] = utc_now) -> Demo:
    """Start everything; the simulators' ports are ephemeral, the web terminal's is ``web_port`` and the FIX doors'
    ``fix_ports`` (order entry, drop copy; 0: any); ``orders_per_second`` is the throttle per account (0: none);
    ``database_url`` is a SQLAlchemy URL (default: SQLite in ``data_dir``); ``clock`` is the one clock of the demo
    (venues, hub, doors), which a test sets to a Saturday to see the stock markets closed."""
    url = database_url or f"sqlite:///{data_dir / 'demo.db'}"
    upgrade(url)
    hub_settings = HubSettings(url, bus_url=bus_url, orders_per_second=orders_per_second,
                               reference_rates={"USDT/USD": D(1), "USD/HKD": D("7.8"), "USD/INR": D("83.5")})
    stoppers = []
    state = data_dir / "simulators"   # the venues resume near their last prices, their ids never repeat
    fx = FxLP(FxLPConfig(tick_interval=0.25, state_path=state / "fx-lp.json"))
    await fx.start()
    stoppers.append(fx.stop)
    binance = BinanceSimulator(walk_interval=0.5, state_path=state / "binance.json")
    await binance.start()
    stoppers.append(binance.stop)
    equity = EquitySimulator(walk_interval=1.0, state_path=state / "equity.json")
    await equity.start()
    stoppers.append(equity.stop)
    venues = {
        "fx-lp": PrimeXMVenue(PrimeXMConfig(name="fx-lp", quote_port=fx.port, trade_port=fx.port,
                                            username="demo", password="demo"), clock=clock),
        "binance": BinanceVenue(BinanceConfig(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET, name="binance",
                                              rest_url=binance.rest_url, stream_url=binance.stream_url,
                                              ws_api_url=binance.ws_api_url), clock=clock),
        "equity": EquityFixVenue(EquityFixConfig(name="equity", port=equity.port), clock=clock),
    }
    seed(SqlAccess(UnitOfWork(make_engine(url)), load_fernet(data_dir / "secret.key"), clock))
    hub = Hub(hub_settings, instruments(), venues, clock=clock,  # type: ignore[arg-type]
              history={"fx-lp": SimulatedPast(fx.past_bars), "equity": SimulatedPast(equity.past_bars)})
    access = SqlAccess(hub.unit, load_fernet(data_dir / "secret.key"), hub.clock)
    for account_id in ACCOUNTS.values():
        hub.oms.accounting.ledger.transfer(EntryKind.DEPOSIT, f"demo-funding-{account_id}", LedgerAccount("bank", "cash"),
                                     wallet(account_id), "USD", D(100_000))
    gateway = Gateway(hub.services, parse_settings(_gateway_cfg(data_dir / "fix", fix_ports)).acceptors(), parse_bindings({
        "order_entry": {comp_id: {"accounts": [account], "user": comp_id.lower(),
                                  "password_hash": hash_password(FIX_LOGINS[comp_id])}
                        for comp_id, account in FIX_CLIENTS.items()},
        "drop_copy": {FIX_DROP_COPY: {"tenant": TENANT, "user": "broker",
                                      "password_hash": hash_password(FIX_LOGINS[FIX_DROP_COPY])}},
    }))   # before the hub starts: it hears the restart's fills
    await hub.start()
    stoppers.append(hub.stop)
    for _ in range(100):   # the first prices before the doors open, so a trader's first order can be priced
        if not any(hub.feed.is_stale(symbol) for symbol in ("EUR/USD", "BTC/USDT")):
            break
        await asyncio.sleep(0.05)
    await gateway.start()
    stoppers.append(gateway.stop)
    runner, port = await serve(create_app(hub.services, hub.feed, hub.markup, hub.bars, access, hub.office), web_host, web_port)
    stoppers.append(runner.cleanup)
    order_entry, drop_copy = gateway.ports if len(gateway.ports) == 2 else (gateway.ports[0], gateway.ports[0])
    return Demo(hub, {"terminal": f"http://{web_host}:{port}/", "api": f"http://{web_host}:{port}/api/openapi.json",
                      "fix orders": f"fix://127.0.0.1:{order_entry} (FIX.4.4, TargetCompID DYNAMICTECH, "
                                         f"SenderCompID {' or '.join(FIX_CLIENTS)})",
                      "drop copy": f"fix://127.0.0.1:{drop_copy} (FIX.4.4, TargetCompID DYNAMICTECH, "
                                       f"SenderCompID {FIX_DROP_COPY})",
                      "fx-lp": f"fix://127.0.0.1:{fx.port}", "binance": binance.rest_url,
                      "equity": f"fix://127.0.0.1:{equity.port}"}, stoppers=stoppers)


async def main(args: argparse.Namespace) -> None:
    stop = stop_signal()   # before the banner: whoever reads it may signal at once
    demo = await start(Path(args.data), args.host, args.port, args.bus, (args.fix_port, args.drop_copy_port),
                       args.orders_per_second, args.database)
    settle_heap()
    print("DynamicTech demo is running", flush=True)
    for name, where in demo.urls.items():
        print(f"  {name:10} {where}")
    print("  logins     " + ", ".join(f"{user} / {password}" for user, password in demo.logins.items()))
    print("  fix logins " + ", ".join(f"{comp_id} / {password}" for comp_id, password in demo.fix_logins.items()))
    print(f"  started    {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC; Ctrl-C stops", flush=True)
    await stop.wait()
    await demo.stop()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("demo", help="hub, simulators, FIX doors and web terminal in one process")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="web terminal port")
    parser.add_argument("--fix-port", type=int, default=9878, help="client FIX order entry port")
    parser.add_argument("--drop-copy-port", type=int, default=9879, help="broker drop-copy FIX port")
    parser.add_argument("--data", default="var/demo", help="where the demo's SQLite database and key live")
    parser.add_argument("--database", metavar="URL",
                        help="a SQLAlchemy URL, e.g. postgresql+psycopg://... (default: SQLite at <--data>/demo.db)")
    parser.add_argument("--bus", default=os.environ.get("BUS_URL"),
                        help="redis://... or mqtt://... (default BUS_URL, else the in-process bus)")
    parser.add_argument("--orders-per-second", type=_throttle, default=50,
                        help="the throttle: orders a second per account (default 50; 0: no throttle)")

    def run(args: argparse.Namespace) -> int:
        from dynamictech.runtime import run as run_main
        run_main(main(args))
        return 0

    parser.set_defaults(func=run)


def _throttle(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("orders per second is 0 (no throttle) or more")
    return value
