"""Instruments listed from the back office (``listed_instruments``), and markups per side: ``bid`` and ``ask`` in
``unit`` (points, pips or percent) in place of ``points`` and ``percent`` on both sides. A stored markup moves to
the same amount on both sides in its unit; one that had both points and percent cannot be carried over and stops
the upgrade, naming it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from engine.storage.types import Amount

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


AMOUNT = Amount()
markups = sa.table("markups", *(sa.column(name, sa.String()) for name in ("tenant_id", "group_id", "symbol", "unit")),
                   *(sa.column(name, AMOUNT) for name in ("points", "percent", "bid", "ask")))
KEY = (markups.c.tenant_id, markups.c.group_id, markups.c.symbol)


def upgrade() -> None:
    connection = op.get_bind()
    stored = connection.execute(sa.select(*KEY, markups.c.points, markups.c.percent)).all()
    for tenant_id, group_id, symbol, points, percent in stored:   # refused before anything is altered
        if points and percent:
            raise RuntimeError(f"the markup of tenant {tenant_id}, group {group_id}, symbol {symbol} is both "
                               f"{points} points and {percent} percent; a markup now has one unit: set one of them "
                               "to 0, then upgrade again")
    with op.batch_alter_table("markups") as batch:
        batch.add_column(sa.Column("bid", AMOUNT, nullable=False, server_default="0"))
        batch.add_column(sa.Column("ask", AMOUNT, nullable=False, server_default="0"))
        batch.add_column(sa.Column("unit", sa.String(), nullable=False, server_default="points"))
    for tenant_id, group_id, symbol, points, percent in stored:
        value, unit = (percent, "percent") if percent else (points, "points")
        connection.execute(markups.update().where(*(c == v for c, v in zip(KEY, (tenant_id, group_id, symbol))))
                           .values(bid=value, ask=value, unit=unit))
    with op.batch_alter_table("markups") as batch:
        batch.drop_column("points")
        batch.drop_column("percent")
    op.create_table(
        "listed_instruments",
        sa.Column("symbol", sa.String(), primary_key=True),
        sa.Column("asset_class", sa.String(), nullable=False),
        sa.Column("base_currency", sa.String(), nullable=False),
        sa.Column("quote_currency", sa.String(), nullable=False),
        *(sa.Column(name, Amount(), nullable=False) for name in (
            "tick_size", "lot_step", "min_quantity", "max_quantity", "margin_rate", "contract_size")),
        sa.Column("min_notional", Amount(), nullable=True),
        sa.Column("pip_size", Amount(), nullable=True),
        sa.Column("price_precision", sa.Integer(), nullable=True),
        sa.Column("quantity_precision", sa.Integer(), nullable=True),
        sa.Column("venue", sa.String(), nullable=False),
        sa.Column("venue_symbol", sa.String(), nullable=False),
        sa.Column("deposit_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("withdraw_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("confirmations", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(), nullable=True, index=True),
        sa.Column("close_only", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("listed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Only a markup the same on both sides in points or percent goes back; any other stops the downgrade."""
    op.drop_table("listed_instruments")
    with op.batch_alter_table("markups") as batch:
        batch.add_column(sa.Column("points", AMOUNT, nullable=False, server_default="0"))
        batch.add_column(sa.Column("percent", AMOUNT, nullable=False, server_default="0"))
    connection = op.get_bind()
    for tenant_id, group_id, symbol, bid, ask, unit in connection.execute(
            sa.select(*KEY, markups.c.bid, markups.c.ask, markups.c.unit)).all():
        if bid != ask or unit == "pips":
            raise RuntimeError(f"the markup of tenant {tenant_id}, group {group_id}, symbol {symbol} differs by side "
                               "or is in pips, which the older shape cannot hold")
        connection.execute(markups.update().where(*(c == v for c, v in zip(KEY, (tenant_id, group_id, symbol))))
                           .values(**{"percent" if unit == "percent" else "points": bid}))
    with op.batch_alter_table("markups") as batch:
        for name in ("unit", "ask", "bid"):
            batch.drop_column(name)
