"""CES answers counted per scale value (e1 ... e7) in the survey rollups

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = tuple(f"e{i}" for i in range(1, 8))
TABLES = ("survey_daily", "survey_monthly")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in COLUMNS:
                batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.get_context().config.attributes["rebuild_rollups"] = True  # filled once the schema is at head


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in COLUMNS:
                batch_op.drop_column(name)
