"""OHLC bars per tenant group, symbol and interval.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from engine.storage.types import Amount

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AMOUNT = Amount()


def upgrade() -> None:
    op.create_table(
        "bars",
        sa.Column("tenant_id", sa.String(), primary_key=True),
        sa.Column("group_id", sa.String(), primary_key=True),
        sa.Column("symbol", sa.String(), primary_key=True),
        sa.Column("interval", sa.String(), primary_key=True),
        sa.Column("start", sa.DateTime(), primary_key=True),
        sa.Column("open", AMOUNT, nullable=False),
        sa.Column("high", AMOUNT, nullable=False),
        sa.Column("low", AMOUNT, nullable=False),
        sa.Column("close", AMOUNT, nullable=False),
        sa.Column("ticks", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bars")
