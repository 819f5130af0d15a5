"""The back office: a tenant's brand and defaults, a user's contact, region, lock and grants, a group's leverage per
asset class and pipeline, and the audit log of every back-office change.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from engine.storage.types import Amount

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _text(name: str, default: str = "") -> sa.Column:
    return sa.Column(name, sa.String(), nullable=False, server_default=default)


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        for column in (_text("region"), _text("logo_url"), _text("primary_colour", "#1f6feb"),
                       _text("accent_colour", "#f0b429"), _text("language", "en"), _text("domain"), _text("path"),
                       sa.Column("default_leverage", Amount(), nullable=False, server_default="100"),
                       sa.Column("margin_call", Amount(), nullable=True),
                       sa.Column("stop_out", Amount(), nullable=True),
                       sa.Column("orders_per_second", sa.Integer(), nullable=True),
                       _text("allowed_instruments")):
            batch.add_column(column)
        batch.create_index("ix_tenants_domain", ["domain"])
    with op.batch_alter_table("users") as batch:
        for column in (_text("name"), _text("email"), _text("region"),
                       sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false()),
                       sa.Column("trade_clients", sa.Boolean(), nullable=False, server_default=sa.false()),
                       sa.Column("referral_code", sa.String(), nullable=True)):
            batch.add_column(column)
        batch.create_unique_constraint("uq_users_referral_code", ["referral_code"])
    with op.batch_alter_table("groups") as batch:
        batch.add_column(_text("leverage"))
        batch.add_column(_text("pipeline"))
    op.create_table(
        "audit",
        sa.Column("audit_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("actor", sa.String(), nullable=False, index=True),
        sa.Column("tenant_id", sa.String(), nullable=True, index=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("resource", sa.String(), nullable=False, index=True),
        sa.Column("resource_id", sa.String(), nullable=False, index=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("audit")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("pipeline")
        batch.drop_column("leverage")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_referral_code", type_="unique")
        for name in ("referral_code", "trade_clients", "locked", "region", "email", "name"):
            batch.drop_column(name)
    with op.batch_alter_table("tenants") as batch:
        batch.drop_index("ix_tenants_domain")
        for name in ("allowed_instruments", "orders_per_second", "stop_out", "margin_call", "default_leverage",
                     "path", "domain", "language", "accent_colour", "primary_colour", "logo_url", "region"):
            batch.drop_column(name)
