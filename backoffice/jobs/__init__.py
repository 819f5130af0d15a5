"""The scheduler's jobs (``engine.scheduler``): swaps, statements, GTD expiry and scheduled orders; the IB payouts
job is ``backoffice.payouts``."""
