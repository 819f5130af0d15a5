"""Orders, journal entries and postings.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from engine.storage.types import Amount

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AMOUNT = Amount()


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(), primary_key=True),
        sa.Column("cl_ord_id", sa.String(), nullable=False, index=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("account_id", sa.String(), nullable=False, index=True),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("ord_type", sa.String(), nullable=False),
        sa.Column("time_in_force", sa.String(), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("price", AMOUNT),
        sa.Column("stop_price", AMOUNT),
        sa.Column("venue_price", AMOUNT),
        sa.Column("venue_stop_price", AMOUNT),
        sa.Column("status", sa.String(), nullable=False, index=True),
        sa.Column("filled", AMOUNT, nullable=False),
        sa.Column("average_price", AMOUNT, nullable=False),
        sa.Column("venue", sa.String()),
        sa.Column("venue_order_id", sa.String()),
        sa.Column("reject_reason", sa.String()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "journal_entries",
        sa.Column("entry_id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False, index=True),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "postings",
        sa.Column("posting_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("journal_entries.entry_id"), nullable=False, index=True),
        sa.Column("owner", sa.String(), nullable=False, index=True),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("postings")
    op.drop_table("journal_entries")
    op.drop_table("orders")
