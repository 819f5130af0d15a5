"""A commission plan names its unit: one rate per lot, per unit or on the notional (it had a per-lot and a
per-notional amount, and a lot meant the order quantity, so a stock was charged per share). A plan with both amounts
cannot be carried over and stops the upgrade, naming its group.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from engine.storage.types import Amount

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

AMOUNT = Amount()
plans = sa.table("commission_plans", sa.column("group_id", sa.String()), sa.column("per_lot", AMOUNT),
                 sa.column("per_notional", AMOUNT), sa.column("rate", AMOUNT), sa.column("unit", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("commission_plans") as batch:
        batch.add_column(sa.Column("rate", AMOUNT))
        batch.add_column(sa.Column("unit", sa.String()))
    connection = op.get_bind()
    for group_id, per_lot, per_notional in connection.execute(
            sa.select(plans.c.group_id, plans.c.per_lot, plans.c.per_notional)).all():
        if per_lot and per_notional:
            raise RuntimeError(f"commission plan of group {group_id} charges both per lot and on the notional; "
                               f"a plan now has one unit: set one of them to 0, then upgrade again")
        rate, unit = (per_notional, "notional") if per_notional else (per_lot, "lot")
        connection.execute(plans.update().where(plans.c.group_id == group_id).values(rate=rate, unit=unit))
    with op.batch_alter_table("commission_plans") as batch:
        batch.alter_column("rate", existing_type=AMOUNT, nullable=False)
        batch.alter_column("unit", existing_type=sa.String(), nullable=False)
        batch.drop_column("per_lot")
        batch.drop_column("per_notional")


def downgrade() -> None:
    with op.batch_alter_table("commission_plans") as batch:
        batch.add_column(sa.Column("per_lot", AMOUNT))
        batch.add_column(sa.Column("per_notional", AMOUNT))
    connection = op.get_bind()
    for group_id, rate, unit in connection.execute(sa.select(plans.c.group_id, plans.c.rate, plans.c.unit)).all():
        if unit not in ("lot", "notional"):
            raise RuntimeError(f"commission plan of group {group_id} charges per {unit}, which 0007 cannot hold")
        per_lot, per_notional = (rate, 0) if unit == "lot" else (0, rate)
        connection.execute(plans.update().where(plans.c.group_id == group_id)
                           .values(per_lot=per_lot, per_notional=per_notional))
    with op.batch_alter_table("commission_plans") as batch:
        batch.alter_column("per_lot", existing_type=AMOUNT, nullable=False)
        batch.alter_column("per_notional", existing_type=AMOUNT, nullable=False)
        batch.drop_column("rate")
        batch.drop_column("unit")
