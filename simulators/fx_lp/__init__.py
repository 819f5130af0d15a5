"""fx-lp: an FX liquidity provider that speaks FIX 4.4 the way PrimeXM does (or plain FIX 4.4), for tests, demos
and QA scripts. See lp.py for the scenario API and cli.py for ``dynamictech sim fx-lp``."""
from simulators.fx_lp.lp import FxLP, FxLPConfig

__all__ = ["FxLP", "FxLPConfig"]
