"""``dynamictech hub --config``: a broker's hub from its TOML file, refusing a bad file before anything starts,
and trading against a venue (the fx-lp simulator) with secrets taken from the environment."""
from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal as D
from pathlib import Path

import aiohttp

from dynamictech.serve import instruments, load, settings
from engine.domain.tenancy import Account, Directory, Group, Role, Tenant, User
from engine.domain.terms import RouteRule
from engine.ledger import EntryKind, Ledger, LedgerAccount, wallet
from engine.ports import utc_now
from engine.storage.access import SqlAccess, hash_password, load_fernet
from engine.storage.cli import upgrade
from engine.storage.database import make_engine
from engine.storage.directory import SqlDirectory
from engine.storage.group_commit import GroupCommit
from engine.storage.ledger_store import SqlLedgerStore
from engine.storage.unit_of_work import UnitOfWork
from fix_specs import path as spec_path
from simulators.fx_lp.lp import FxLP, FxLPConfig
from tests.net import free_port

COMMAND = [sys.executable, "-c", "from dynamictech.cli import main; raise SystemExit(main())", "hub", "--config"]
EURUSD = '''
[[instruments]]
symbol = "EUR/USD"
asset_class = "fx"
base_currency = "EUR"
quote_currency = "USD"
tick_size = "0.00001"
lot_step = "0.01"
min_quantity = "0.01"
max_quantity = "100"
margin_rate = "0.01"
contract_size = "100000"
'''


async def run_hub(config: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(*COMMAND, str(config), stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, env={**os.environ, **env},
                                                cwd=config.parent)


async def test_a_secret_in_the_file_or_an_unknown_venue_type_is_refused_before_anything_starts(
        tmp_path: Path) -> None:
    for body, expected in (('[[venues]]\nname = "lp"\ntype = "primexm"\npassword = "hunter2"\n',
                            "password must come from the environment"),
                           ('[[venues]]\nname = "lp"\ntype = "lmax"\n', "type must be primexm, binance, equity_fix or memory"),
                           ('[[instruments]]\nsymbol = "X"\n', "[[instruments]] number 1"),
                           ('[hub\n', "hub.toml")):
        config = tmp_path / "hub.toml"
        config.write_text(body)
        process = await run_hub(config, {})
        out, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 2 and expected in out.decode(), out


def seed(url: str, data: Path) -> None:
    upgrade(url)
    unit = UnitOfWork(make_engine(url))
    directory = Directory()
    directory.add_tenant(Tenant("broker-a", "Broker A"))
    directory.add_user(User("trader", "broker-a", Role.END_USER))
    directory.add_group(Group("standard", "broker-a"))
    directory.add_account(Account("ACC-1", "broker-a", "trader", "standard"))
    store = SqlDirectory(unit)
    store.save_directory(directory)
    store.save_route_rules([RouteRule(("lp",))])
    SqlAccess(unit, load_fernet(data / "var" / "secret.key"), utc_now).set_password("trader", "trader", "trader-pass")
    Ledger(utc_now, SqlLedgerStore(GroupCommit(unit.engine))).transfer(EntryKind.DEPOSIT, "dep-1", LedgerAccount("bank", "cash"), wallet("ACC-1"),
                                          "USD", D("10000"))



async def test_the_hub_trades_at_its_configured_venue_with_the_password_from_the_environment(tmp_path: Path) -> None:
    lp = FxLP(FxLPConfig(username="hub", password="from-the-environment", tick_interval=0.1))
    await lp.start()
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url, tmp_path)
    port, fix_port = free_port(), free_port()
    (tmp_path / "gateway.cfg").write_text(
        f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort={fix_port}\n"
        f"FileStorePath={tmp_path / 'fix'}\nDataDictionary={spec_path('FIX44.xml')}\n\n"
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=HUB\nTargetCompID=PROPFIRM\n")
    config = tmp_path / "hub.toml"
    config.write_text(f'[database]\nurl = "{url}"\n[web]\nport = {port}\n{EURUSD}\n'
                      f'[[venues]]\nname = "lp"\ntype = "primexm"\nenv_prefix = "LP_"\nquote_port = {lp.port}\n'
                      f'trade_port = {lp.port}\n[fix]\nsessions = "gateway.cfg"\n'
                      f'[gateway.order_entry.PROPFIRM]\naccounts = ["ACC-1"]\n'
                      f'password_hash = "{hash_password("propfirm-pass")}"\n'
                      '[hub]\norders_per_second = 40\n'
                      '[risk."broker-a".max_order_quantity]\n"EUR/USD" = "1"\n'
                      '[financing."EUR/USD"]\nlong_rate = "-2.5"\nshort_rate = "0.8"\ndays_per_year = 360\n')
    hub = await run_hub(config, {"LP_USERNAME": "hub", "LP_PASSWORD": "from-the-environment"})
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}",
                                         cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            for _ in range(200):
                try:
                    async with client.post("/api/session", json={"login": "trader",
                                                                 "password": "trader-pass"}) as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            for _ in range(100):
                async with client.get("/api/quotes?symbols=EUR/USD") as answer:
                    if await answer.json():
                        break
                await asyncio.sleep(0.1)
            order = {"symbol": "EUR/USD", "side": "buy", "type": "market", "quantity": "0.10"}
            async with client.post("/api/accounts/ACC-1/orders", json=order) as answer:
                assert answer.status == 201, await answer.text()
            for _ in range(100):
                async with client.get("/api/accounts/ACC-1/positions") as answer:
                    positions = await answer.json()
                if positions:
                    break
                await asyncio.sleep(0.1)
            assert [(p["symbol"], p["quantity"]) for p in positions] == [("EUR/USD", "0.10")]
            too_large = {**order, "quantity": "2"}   # [risk."broker-a"] caps an EUR/USD order at 1
            async with client.post("/api/accounts/ACC-1/orders", json=too_large) as answer:
                refused = await answer.json()
            assert (refused["status"], refused["reject_code"]) == ("rejected", "order_too_large"), refused
            _, writer = await asyncio.open_connection("127.0.0.1", fix_port)   # the client FIX door listens
            writer.close()
    finally:
        hub.terminate()
        _, errors = await asyncio.wait_for(hub.communicate(), 30)
        await lp.stop()
    assert b"from-the-environment" not in errors, "the password must never reach the logs"
    assert hub.returncode == 0


def test_the_example_configuration_is_read_whole() -> None:
    """examples/hub.toml is what a broker starts from: every section of it is read, none refused."""
    config = load(Path(__file__).parents[2] / "examples" / "hub.toml")
    hub = settings(config)
    assert hub.orders_per_second == 50
    assert hub.risk_limits["broker-a"].max_order_quantity == {"EUR/USD": D("50"), "BTC/USDT": D("5")}
    assert hub.financing["EUR/USD"].long_rate == D("-2.5") and hub.financing["EUR/USD"].days_per_year == 360
    assert set(instruments(config)) == {"EUR/USD", "BTC/USDT"}
