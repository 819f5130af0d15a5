"""Simulated equity broker speaking FIX 4.2 (fix_specs/FIX42.xml) for the equity_fix adapter, with the exchanges'
own rules (market_rules.py: the Reg NMS sub-penny rule, HKEX's spread table, board lots and lunch break, NSE's
tick sizes and price bands, each from the exchange's document), a settable market clock, a synthetic order book per
stock with a random walk, and a scenario API for QA (see EquitySimulator). Run it with ``dynamictech sim equity``.

Left out: auctions, odd-lot boards, holidays, client orders meeting each other (they only meet the synthetic
liquidity), trade busts and corrections.
"""
from simulators.equity.clock import MarketClock
from simulators.equity.simulator import EquitySimulator

__all__ = ["EquitySimulator", "MarketClock"]
