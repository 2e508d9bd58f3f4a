"""import batches that can be undone (who, status, previous store values); goals and actions with a
version, who and when

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RECORDS = ("goal", "action")


def upgrade() -> None:
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imported_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), nullable=False, server_default="loaded")
        )
        batch_op.add_column(sa.Column("undone_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("undone_by", sa.String(length=200), nullable=True))
    op.create_table(
        "store_change",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("previous", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
        sa.PrimaryKeyConstraint("batch_id", "store_id"),
    )
    with op.batch_alter_table("store_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_change_store_id"), ["store_id"], unique=False)
    for table in RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
            batch_op.add_column(sa.Column("created_by", sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column("updated_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    for table in RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in ("updated_by", "updated_at", "created_by", "version"):
                batch_op.drop_column(name)
    with op.batch_alter_table("store_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_change_store_id"))
    op.drop_table("store_change")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        for name in ("undone_by", "undone_at", "status", "imported_by"):
            batch_op.drop_column(name)
