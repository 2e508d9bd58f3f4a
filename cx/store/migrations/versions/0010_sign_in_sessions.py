"""sign-in sessions: the dashboard's sign-ins that outlive a page reload (token hashes only)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("sign_in_session") as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_session_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_session") as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_session_email"))
    op.drop_table("sign_in_session")
