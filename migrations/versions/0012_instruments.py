"""Instruments listed from the back office (``listed_instruments``), and markups per side: ``bid`` and ``ask`` in
``unit`` (points, pips or percent) next to the older ``points`` and ``percent``, which stay and keep applying to both
sides, so markups stored before load as they did.

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


def upgrade() -> None:
    with op.batch_alter_table("markups") as batch:
        batch.add_column(sa.Column("bid", Amount(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("ask", Amount(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("unit", sa.String(), nullable=False, server_default="points"))
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
    op.drop_table("listed_instruments")
    with op.batch_alter_table("markups") as batch:
        for name in ("unit", "ask", "bid"):
            batch.drop_column(name)
