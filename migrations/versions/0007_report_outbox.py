"""The report outbox: every order and execution event a door must deliver, written in the transaction of the state
it reports, and each door session's cursor (the last event the FIX store holds for it), so a restart re-sends what a
crash kept from going out.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_outbox",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("topic", sa.String(), nullable=False, index=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
    )
    op.create_table(
        "report_cursors",
        sa.Column("consumer", sa.String(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_cursors")
    op.drop_table("report_outbox")
