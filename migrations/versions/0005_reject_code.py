"""Orders keep a rejection's code beside its sentence (it used to be one "code: sentence" string).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

orders = sa.table("orders", sa.column("order_id", sa.String()), sa.column("reject_code", sa.String()),
                  sa.column("reject_reason", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("reject_code", sa.String()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(orders.c.order_id, orders.c.reject_reason)
                              .where(orders.c.reject_reason.is_not(None))).all()
    for order_id, text in rows:
        code, colon, sentence = text.partition(": ")
        if colon and code.isidentifier():
            connection.execute(orders.update().where(orders.c.order_id == order_id)
                               .values(reject_code=code, reject_reason=sentence))


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(orders.update().where(orders.c.reject_code.is_not(None))
                       .values(reject_reason=orders.c.reject_code + ": " + orders.c.reject_reason))
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("reject_code")
