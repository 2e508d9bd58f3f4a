"""customers: the CRM's customers, loyalty and point-of-sale transactions, keyed hashes of the
e-mail, phone and loyalty number that NPS and survey answers name their customer by, and the links
from answers and transactions to customers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KEYS = ("email_hash", "phone_hash", "loyalty_hash")


def _key_columns() -> list[sa.Column]:
    return [sa.Column(key, sa.String(length=64), nullable=True) for key in KEYS]


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("loyalty_id", sa.String(length=100), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=200), nullable=True),
        sa.Column("signed_up_at", sa.Date(), nullable=True),
        *_key_columns(),
        sa.Column("merged_into", sa.String(length=100), nullable=True),
        sa.Column("forgotten_at", sa.DateTime(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id"),
    )
    op.create_index(op.f("ix_customer_merged_into"), "customer", ["merged_into"])
    op.create_table(
        "customer_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.String(length=100), nullable=False),
        sa.Column("merged_id", sa.String(length=100), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kept_id", "merged_id"),
    )
    for column in ("kept_id", "merged_id", "status"):
        op.create_index(op.f(f"ix_customer_merge_{column}"), "customer_merge", [column])
    op.create_table(
        "purchase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("purchased_at", sa.DateTime(), nullable=False),
        sa.Column("date_precision", sa.String(length=5), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        *_key_columns(),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
        sa.ForeignKeyConstraint(["store_id"], ["store.store_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transaction_id"),
    )
    op.create_index("ix_purchase_store_time", "purchase", ["store_id", "purchased_at"])
    op.create_index(op.f("ix_purchase_purchased_at"), "purchase", ["purchased_at"])
    op.create_index(op.f("ix_purchase_customer_id"), "purchase", ["customer_id"])
    for table in ("customer", "purchase", "nps_response", "survey_response"):
        if table in ("nps_response", "survey_response"):
            for column in _key_columns():
                op.add_column(table, column)
        for key in KEYS:
            op.create_index(op.f(f"ix_{table}_{key}"), table, [key])
    op.add_column("review", sa.Column("author", sa.String(length=200), nullable=True))
    op.create_table(
        "customer_link",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("matched_on", sa.String(length=100), nullable=True),
        sa.Column("candidates", sa.Text(), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "record_id"),
    )
    op.create_index(op.f("ix_customer_link_status"), "customer_link", ["status"])
    op.create_index(op.f("ix_customer_link_customer_id"), "customer_link", ["customer_id"])


def downgrade() -> None:
    op.drop_table("customer_link")
    op.drop_table("customer_merge")
    with op.batch_alter_table("review") as batch_op:
        batch_op.drop_column("author")
    for table in ("nps_response", "survey_response"):
        with op.batch_alter_table(table) as batch_op:
            for key in KEYS:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{key}"))
                batch_op.drop_column(key)
    op.drop_table("purchase")
    op.drop_table("customer")
