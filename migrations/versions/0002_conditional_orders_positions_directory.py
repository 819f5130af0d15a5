"""Conditional-order fields on orders; executions and positions; the tenants' directory, route table, markups and
commission plans.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from engine.storage.types import Amount

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AMOUNT = Amount()


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("expire_at", sa.DateTime()))
        batch.add_column(sa.Column("trail", AMOUNT))
        batch.add_column(sa.Column("take_profit", AMOUNT))
        batch.add_column(sa.Column("stop_loss", AMOUNT))
        batch.add_column(sa.Column("parent_id", sa.String()))
        batch.add_column(sa.Column("oco_id", sa.String()))
        batch.add_column(sa.Column("position_id", sa.String()))
        batch.create_index("ix_orders_parent_id", ["parent_id"])
        batch.create_index("ix_orders_oco_id", ["oco_id"])
    op.create_table(
        "executions",
        sa.Column("exec_id", sa.String(), primary_key=True),
        sa.Column("order_id", sa.String(), nullable=False, index=True),
        sa.Column("account_id", sa.String(), nullable=False, index=True),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("price", AMOUNT, nullable=False),
        sa.Column("venue", sa.String(), nullable=False),
        sa.Column("venue_price", AMOUNT, nullable=False),
        sa.Column("markup_revenue", AMOUNT, nullable=False),
        sa.Column("commission", AMOUNT, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "positions",
        sa.Column("position_id", sa.String(), primary_key=True),
        sa.Column("account_id", sa.String(), nullable=False, index=True),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("average_price", AMOUNT, nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("referrer_id", sa.String(), index=True),
    )
    op.create_table(
        "groups",
        sa.Column("group_id", sa.String(), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("max_leverage", AMOUNT, nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("user_id", sa.String(), nullable=False, index=True),
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("base_currency", sa.String(), nullable=False),
        sa.Column("leverage", AMOUNT, nullable=False),
        sa.Column("position_mode", sa.String(), nullable=False),
    )
    op.create_table(
        "route_rules",
        sa.Column("rank", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("venues", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), index=True),
        sa.Column("group_id", sa.String()),
        sa.Column("asset_class", sa.String()),
        sa.Column("symbol_pattern", sa.String(), nullable=False),
        sa.Column("min_quantity", AMOUNT),
        sa.Column("max_quantity", AMOUNT),
        sa.Column("best_price", sa.Boolean(), nullable=False),
        sa.Column("reroute_on_reject", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "markups",
        sa.Column("tenant_id", sa.String(), primary_key=True),
        sa.Column("group_id", sa.String(), primary_key=True),
        sa.Column("symbol", sa.String(), primary_key=True),
        sa.Column("points", AMOUNT, nullable=False),
        sa.Column("percent", AMOUNT, nullable=False),
    )
    op.create_table(
        "commission_plans",
        sa.Column("group_id", sa.String(), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False, index=True),
        sa.Column("per_lot", AMOUNT, nullable=False),
        sa.Column("per_notional", AMOUNT, nullable=False),
        sa.Column("per_trade", AMOUNT, nullable=False),
    )


def downgrade() -> None:
    for table in ("commission_plans", "markups", "route_rules", "accounts", "groups", "users", "tenants",
                  "positions", "executions"):
        op.drop_table(table)
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_oco_id")
        batch.drop_index("ix_orders_parent_id")
        for column in ("position_id", "oco_id", "parent_id", "stop_loss", "take_profit", "trail", "expire_at"):
            batch.drop_column(column)
