"""Short factories so scenario tests stay a few lines long: eurusd(), hub(markup_points=...), ..."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from adapters.memory import MemoryVenue
from engine.bus import InProcessBus
from engine.domain.instrument import AssetClass, Instrument, Market, TradingSession
from engine.domain.rebates import RebatePlan
from engine.domain.tenancy import Account, Directory, Group, Role, Tenant, User
from engine.domain.terms import CommissionPlan, Markup, RouteRule
from engine.journal import OrderJournal, Reports, Transactions
from engine.ledger import EntryKind, Ledger, LedgerAccount, wallet
from engine.oms import OMS
from engine.ports import Clock, utc_now
from routing.interceptors.commission import Commission
from routing.interceptors.ib_rebate import IbRebate
from routing.interceptors.kill_switch import KillSwitch
from routing.interceptors.risk_gate import RiskGate, RiskLimits, RiskView
from routing.interceptors.spread_markup import SpreadMarkup
from routing.interceptors.throttle import Throttle
from routing.interceptors.validation import Validation
from routing.pipeline import Pipelines
from routing.router import Router

D = Decimal
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)  # a Wednesday


def eurusd() -> Instrument:
    return Instrument("EUR/USD", AssetClass.FX, "EUR", "USD", tick_size=D("0.00001"), lot_step=D("0.01"),
                      min_quantity=D("0.01"), max_quantity=D("100"), margin_rate=D("0.01"),
                      contract_size=D("100000"))


def btcusdt() -> Instrument:
    return Instrument("BTC/USDT", AssetClass.CRYPTO, "BTC", "USDT", tick_size=D("0.01"), lot_step=D("0.00001"),
                      min_quantity=D("0.00001"), max_quantity=D("100"), margin_rate=D("0.2"))


def hsbc_hk() -> Instrument:
    return Instrument("0005.HK", AssetClass.EQUITY, "0005", "HKD", tick_size=D("0.05"), lot_step=D(1),
                      min_quantity=D(400), max_quantity=D(1_000_000), margin_rate=D("0.5"), market=Market.HK,
                      board_lot=D(400), sessions=(TradingSession(dt.time(9, 30), dt.time(12, 0),
                                                                 time_zone="Asia/Hong_Kong"),
                                                  TradingSession(dt.time(13, 0), dt.time(16, 0),
                                                                 time_zone="Asia/Hong_Kong")))


@dataclass
class Hub:
    oms: OMS
    ledger: Ledger
    bus: InProcessBus
    venues: dict[str, MemoryVenue]
    kill_switch: KillSwitch
    router: Router
    events: list[tuple[str, dict]] = field(default_factory=list)

    def wallet(self, account: str = "ACC-1", currency: str = "USD") -> Decimal:
        return self.ledger.balance(wallet(account), currency)

    def revenue(self, purpose: str, currency: str = "USD", tenant: str = "broker-a") -> Decimal:
        return self.ledger.balance(LedgerAccount(tenant, purpose), currency)


def hub(markup_points: str = "0", commission_per_lot: str = "0", throttle: int = 100,
        rules: list[RouteRule] | None = None, deposit: str = "10000",
        limits: RiskLimits | None = None, venues: dict | None = None, ledger: Ledger | None = None,
        journal: OrderJournal | None = None, transactions: Transactions | None = None,
        order_id_prefix: str = "O", rebates: RebatePlan | None = None, reports: Reports | None = None,
        commission: CommissionPlan | None = None, rebate_clock: Clock = lambda: NOW) -> Hub:
    """A broker with one trader (ACC-1, USD, 1:100) and two in-memory LPs quoting EUR/USD and BTC/USDT."""
    directory = Directory()
    directory.add_tenant(Tenant("broker-a", "Broker A"))
    directory.add_user(User("broker-a-owner", "broker-a", Role.BROKER))
    directory.add_user(User("trader-1", "broker-a", Role.END_USER, referrer_id="broker-a-owner"))
    directory.add_group(Group("standard", "broker-a"))
    directory.add_account(Account("ACC-1", "broker-a", "trader-1", "standard"))
    instruments = {i.symbol: i for i in (eurusd(), btcusdt(), hsbc_hk())}
    venues = venues or {
        "lp-1": MemoryVenue("lp-1", {"EUR/USD": (D("1.08340"), D("1.08350")), "BTC/USDT": (D("60000"), D("60010"))}, clock=utc_now),
        "lp-2": MemoryVenue("lp-2", {"EUR/USD": (D("1.08338"), D("1.08348")), "BTC/USDT": (D("59990"), D("60020"))}, clock=utc_now),
    }
    router = Router(rules or [RouteRule(("lp-1", "lp-2"))], venues)
    ledger = ledger or Ledger(utc_now)
    bus = InProcessBus()
    kill_switch = KillSwitch()
    markup = SpreadMarkup({("broker-a", "*", "*"): Markup.both(D(markup_points))})
    oms_holder: list[OMS] = []
    view = RiskView(margin=lambda account: oms_holder[0].margin(account.account_id),
                    net_position=lambda account, symbol: oms_holder[0].accounting.net(account, symbol),
                    mark=lambda symbol: oms_holder[0].accounting.marks.get(symbol),
                    tenant_exposure=lambda tenant, symbol: oms_holder[0].accounting.tenant_exposure(tenant, symbol),
                    rate=lambda source, target: oms_holder[0].accounting.rate(source, target),
                    group=lambda account: directory.groups.get(account.group_id))
    commissions = Commission({"standard": commission or CommissionPlan(D(commission_per_lot))}, view.rate)
    interceptors = [Validation(view.net_position, directory), Throttle(throttle), kill_switch, RiskGate({"broker-a": limits or RiskLimits()}, view),
                    markup, commissions, IbRebate(directory, [rebates] if rebates else [], view.rate, view.net_position, rebate_clock)]
    order = ["validation", "throttle", "kill_switch", "risk_gate", "spread_markup", "commission", "ib_rebate"]
    pipelines = Pipelines(interceptors, {"broker-a": order}, order)
    oms = OMS(directory=directory, instruments=instruments, ledger=ledger, bus=bus, pipelines=pipelines,
              router=router, journal=journal,
              transactions=transactions or getattr(journal, "commits", None), reports=reports,
              order_id_prefix=order_id_prefix,
              clock=lambda: NOW)
    oms_holder.append(oms)
    oms.accounting.marks.update({"EUR/USD": D("1.08345"), "BTC/USDT": D("60005"), "USDT/USD": D(1), "USD/HKD": D("7.8")})
    ledger.transfer(EntryKind.DEPOSIT, "dep-1", LedgerAccount("bank", "cash"), wallet("ACC-1"), "USD", D(deposit))
    result = Hub(oms, ledger, bus, venues, kill_switch, router)
    bus.subscribe("#", lambda topic, event: result.events.append((topic, event)))
    return result
