"""rollups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:03:24.214748
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attribute_daily",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Float(), nullable=False),
        sa.Column("rating_sq", sa.Float(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "touchpoint_id", "attribute", "day"),
    )
    with op.batch_alter_table("attribute_daily", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attribute_daily_day"), ["day"], unique=False)

    op.create_table(
        "attribute_monthly",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Float(), nullable=False),
        sa.Column("rating_sq", sa.Float(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "touchpoint_id", "attribute", "month"),
    )
    with op.batch_alter_table("attribute_monthly", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attribute_monthly_month"), ["month"], unique=False)

    op.create_table(
        "driver_moments",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("var_a", sa.String(length=110), nullable=False),
        sa.Column("var_b", sa.String(length=110), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_a", sa.Float(), nullable=False),
        sa.Column("sum_b", sa.Float(), nullable=False),
        sa.Column("sum_ab", sa.Float(), nullable=False),
        sa.Column("sum_aa", sa.Float(), nullable=False),
        sa.Column("sum_bb", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "month", "var_a", "var_b"),
    )
    op.create_table(
        "nps_daily",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("s0", sa.Integer(), nullable=False),
        sa.Column("s1", sa.Integer(), nullable=False),
        sa.Column("s2", sa.Integer(), nullable=False),
        sa.Column("s3", sa.Integer(), nullable=False),
        sa.Column("s4", sa.Integer(), nullable=False),
        sa.Column("s5", sa.Integer(), nullable=False),
        sa.Column("s6", sa.Integer(), nullable=False),
        sa.Column("s7", sa.Integer(), nullable=False),
        sa.Column("s8", sa.Integer(), nullable=False),
        sa.Column("s9", sa.Integer(), nullable=False),
        sa.Column("s10", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "touchpoint_id", "day"),
    )
    with op.batch_alter_table("nps_daily", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nps_daily_day"), ["day"], unique=False)

    op.create_table(
        "nps_monthly",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("s0", sa.Integer(), nullable=False),
        sa.Column("s1", sa.Integer(), nullable=False),
        sa.Column("s2", sa.Integer(), nullable=False),
        sa.Column("s3", sa.Integer(), nullable=False),
        sa.Column("s4", sa.Integer(), nullable=False),
        sa.Column("s5", sa.Integer(), nullable=False),
        sa.Column("s6", sa.Integer(), nullable=False),
        sa.Column("s7", sa.Integer(), nullable=False),
        sa.Column("s8", sa.Integer(), nullable=False),
        sa.Column("s9", sa.Integer(), nullable=False),
        sa.Column("s10", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "touchpoint_id", "month"),
    )
    with op.batch_alter_table("nps_monthly", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nps_monthly_month"), ["month"], unique=False)

    op.create_table(
        "review_daily",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Float(), nullable=False),
        sa.Column("rating_sq", sa.Float(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("r1", sa.Integer(), nullable=False),
        sa.Column("r2", sa.Integer(), nullable=False),
        sa.Column("r3", sa.Integer(), nullable=False),
        sa.Column("r4", sa.Integer(), nullable=False),
        sa.Column("r5", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "day"),
    )
    with op.batch_alter_table("review_daily", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_daily_day"), ["day"], unique=False)

    op.create_table(
        "review_monthly",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Float(), nullable=False),
        sa.Column("rating_sq", sa.Float(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("r1", sa.Integer(), nullable=False),
        sa.Column("r2", sa.Integer(), nullable=False),
        sa.Column("r3", sa.Integer(), nullable=False),
        sa.Column("r4", sa.Integer(), nullable=False),
        sa.Column("r5", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "month"),
    )
    with op.batch_alter_table("review_monthly", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_monthly_month"), ["month"], unique=False)

    op.create_table(
        "sales_monthly",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("transactions", sa.Integer(), nullable=True),
        sa.Column("revenue_paired", sa.Float(), nullable=False),
        sa.Column("transactions_paired", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "month"),
    )
    with op.batch_alter_table("sales_monthly", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_monthly_month"), ["month"], unique=False)

    op.create_table(
        "survey_daily",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("csat_sum", sa.Float(), nullable=False),
        sa.Column("csat_sq", sa.Float(), nullable=False),
        sa.Column("top2", sa.Integer(), nullable=False),
        sa.Column("c1", sa.Integer(), nullable=False),
        sa.Column("c2", sa.Integer(), nullable=False),
        sa.Column("c3", sa.Integer(), nullable=False),
        sa.Column("c4", sa.Integer(), nullable=False),
        sa.Column("c5", sa.Integer(), nullable=False),
        sa.Column("ces_n", sa.Integer(), nullable=False),
        sa.Column("ces_sum", sa.Float(), nullable=False),
        sa.Column("ces_sq", sa.Float(), nullable=False),
        sa.Column("ces_agree", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "touchpoint_id", "day"),
    )
    with op.batch_alter_table("survey_daily", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_daily_day"), ["day"], unique=False)

    op.create_table(
        "survey_monthly",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("csat_sum", sa.Float(), nullable=False),
        sa.Column("csat_sq", sa.Float(), nullable=False),
        sa.Column("top2", sa.Integer(), nullable=False),
        sa.Column("c1", sa.Integer(), nullable=False),
        sa.Column("c2", sa.Integer(), nullable=False),
        sa.Column("c3", sa.Integer(), nullable=False),
        sa.Column("c4", sa.Integer(), nullable=False),
        sa.Column("c5", sa.Integer(), nullable=False),
        sa.Column("ces_n", sa.Integer(), nullable=False),
        sa.Column("ces_sum", sa.Float(), nullable=False),
        sa.Column("ces_sq", sa.Float(), nullable=False),
        sa.Column("ces_agree", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "touchpoint_id", "month"),
    )
    with op.batch_alter_table("survey_monthly", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_monthly_month"), ["month"], unique=False)

    op.get_context().config.attributes["rebuild_rollups"] = True  # filled once the schema is at head


def downgrade() -> None:
    with op.batch_alter_table("survey_monthly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_monthly_month"))

    op.drop_table("survey_monthly")
    with op.batch_alter_table("survey_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_daily_day"))

    op.drop_table("survey_daily")
    with op.batch_alter_table("sales_monthly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_monthly_month"))

    op.drop_table("sales_monthly")
    with op.batch_alter_table("review_monthly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_monthly_month"))

    op.drop_table("review_monthly")
    with op.batch_alter_table("review_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_daily_day"))

    op.drop_table("review_daily")
    with op.batch_alter_table("nps_monthly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nps_monthly_month"))

    op.drop_table("nps_monthly")
    with op.batch_alter_table("nps_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nps_daily_day"))

    op.drop_table("nps_daily")
    op.drop_table("driver_moments")
    with op.batch_alter_table("attribute_monthly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attribute_monthly_month"))

    op.drop_table("attribute_monthly")
    with op.batch_alter_table("attribute_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attribute_daily_day"))

    op.drop_table("attribute_daily")
