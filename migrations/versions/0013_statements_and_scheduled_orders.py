"""The scheduler's own tables: each account's daily statement, and the orders clients scheduled for a later time;
and an index for a job's latest runs (the payouts job runs every minute, so its runs add up).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from engine.storage.types import Amount

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _amount(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, Amount(), nullable=nullable)


def upgrade() -> None:
    op.create_index("ix_job_runs_job_due", "job_runs", ["job", "due"])
    op.create_table(
        "statements",
        sa.Column("account_id", sa.String(), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("currency", sa.String(), nullable=False),
        _amount("balance"), _amount("equity", nullable=True), _amount("commission"), _amount("financing"),
        sa.Column("fills", sa.Text(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "scheduled_orders",
        sa.Column("scheduled_id", sa.String(), primary_key=True),
        sa.Column("account_id", sa.String(), nullable=False, index=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("placed_by", sa.String(), nullable=False),
        sa.Column("cl_ord_id", sa.String(), nullable=False),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("ord_type", sa.String(), nullable=False),
        sa.Column("time_in_force", sa.String(), nullable=False),
        _amount("quantity"), _amount("price", nullable=True), _amount("stop_price", nullable=True),
        sa.Column("expire_at", sa.DateTime(), nullable=True),
        _amount("trail", nullable=True), _amount("take_profit", nullable=True), _amount("stop_loss", nullable=True),
        sa.Column("position_id", sa.String(), nullable=True),
        sa.Column("send_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("status", sa.String(), nullable=False, index=True),
        sa.Column("order_id", sa.String(), nullable=True),
        sa.Column("reject_code", sa.String(), nullable=True),
        sa.Column("reject_reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduled_orders")
    op.drop_table("statements")
    op.drop_index("ix_job_runs_job_due", table_name="job_runs")
