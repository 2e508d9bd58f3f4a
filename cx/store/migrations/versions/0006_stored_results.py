"""stored results: expensive answers kept per data version

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_result",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("arguments_digest", sa.String(length=64), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", "arguments_digest", "data_version"),
    )


def downgrade() -> None:
    op.drop_table("stored_result")
