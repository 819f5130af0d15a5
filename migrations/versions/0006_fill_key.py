"""A fill's key names its order too: venue:order:ExecID (it was venue:ExecID, which a venue that restarts its ExecID
counter, or starts a new session or day, could repeat).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

executions = sa.table("executions", sa.column("exec_id", sa.String()), sa.column("order_id", sa.String()),
                      sa.column("venue", sa.String()))


def upgrade() -> None:
    e = executions.c
    op.get_bind().execute(
        executions.update()
        .where(e.exec_id.like(e.venue + ":%"), sa.not_(e.exec_id.like(e.venue + ":" + e.order_id + ":%")))
        .values(exec_id=e.venue + ":" + e.order_id + ":" + sa.func.substr(e.exec_id, sa.func.length(e.venue) + 2)))


def downgrade() -> None:
    e = executions.c
    op.get_bind().execute(
        executions.update()
        .where(e.exec_id.like(e.venue + ":" + e.order_id + ":%"))
        .values(exec_id=e.venue + ":" + sa.func.substr(e.exec_id, sa.func.length(e.venue) + sa.func.length(e.order_id)
                                                       + 3)))
