"""IB rebate plans (one row per plan, one per IB level of it), which accrual each payout paid, the broker's releases
of held payouts; and the scheduler's runs of its jobs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from engine.storage.types import Amount

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _amount(name: str) -> sa.Column:
    return sa.Column(name, Amount(), nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("run_key", sa.String(), primary_key=True),
        sa.Column("job", sa.String(), nullable=False, index=True),
        sa.Column("due", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("result", sa.String(), nullable=False, server_default=""),
    )
    op.create_table(
        "rebate_plans",
        sa.Column("plan_id", sa.String(), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("name", sa.String(), nullable=False, server_default=""),
        sa.Column("group_id", sa.String(), nullable=True),
        sa.Column("symbol_pattern", sa.String(), nullable=False, server_default="*"),
        sa.Column("cap", Amount(), nullable=True),
        sa.Column("within_revenue", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("min_hold_seconds", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("schedule", sa.String(), nullable=False, server_default="daily"),
        sa.Column("hold_for_review", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "rebate_levels",
        sa.Column("plan_id", sa.String(), primary_key=True),
        sa.Column("role", sa.String(), primary_key=True),
        _amount("per_lot"), _amount("per_notional"), _amount("markup_share"), _amount("commission_share"),
    )
    op.create_table(
        "rebate_payout_items",
        sa.Column("accrual", sa.String(), primary_key=True),
        sa.Column("payout", sa.String(), nullable=False, index=True),
        sa.Column("ib_id", sa.String(), nullable=False, index=True),
        sa.Column("paid_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "rebate_releases",
        sa.Column("release_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("ib_id", sa.String(), nullable=False, index=True),
        sa.Column("released_through", sa.DateTime(), nullable=False),
        sa.Column("released_by", sa.String(), nullable=False),
    )


def downgrade() -> None:
    for table in ("rebate_releases", "rebate_payout_items", "rebate_levels", "rebate_plans", "job_runs"):
        op.drop_table(table)
