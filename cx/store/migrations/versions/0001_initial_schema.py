"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 17:38:03.503328
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "brand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("scope_type", sa.String(length=20), nullable=False),
        sa.Column("scope_value", sa.String(length=200), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("options", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batch_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_batch_sha256"), ["sha256"], unique=False)

    op.create_table(
        "touchpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brand.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brand_id", "name"),
    )
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_region_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("region_id", "name"),
    )
    with op.batch_alter_table("district", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_district_region_id"), ["region_id"], unique=False)

    op.create_table(
        "store",
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("format", sa.String(length=100), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
        ),
        sa.PrimaryKeyConstraint("store_id"),
    )
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_store_format"), ["format"], unique=False)
        batch_op.create_index(batch_op.f("ix_store_region_id"), ["region_id"], unique=False)

    op.create_table(
        "nps_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=100), nullable=False),
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=False),
        sa.Column("date_precision", sa.String(length=5), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.store_id"],
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"],
            ["touchpoint.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id"),
    )
    with op.batch_alter_table("nps_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nps_response_responded_at"), ["responded_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_nps_response_touchpoint_id"), ["touchpoint_id"], unique=False)
        batch_op.create_index("ix_nps_store_time", ["store_id", "responded_at"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.String(length=100), nullable=False),
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=False),
        sa.Column("date_precision", sa.String(length=5), nullable=False),
        sa.Column("rating", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("platform", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.store_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id"),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_posted_at"), ["posted_at"], unique=False)
        batch_op.create_index("ix_review_store_time", ["store_id", "posted_at"], unique=False)

    op.create_table(
        "sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("transactions", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.store_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "date"),
    )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_date"), ["date"], unique=False)

    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=100), nullable=False),
        sa.Column("store_id", sa.String(length=100), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=False),
        sa.Column("date_precision", sa.String(length=5), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("csat", sa.Float(), nullable=False),
        sa.Column("ces", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.store_id"],
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"],
            ["touchpoint.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id"),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_response_responded_at"),
            ["responded_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_survey_response_touchpoint_id"),
            ["touchpoint_id"],
            unique=False,
        )
        batch_op.create_index("ix_survey_store_time", ["store_id", "responded_at"], unique=False)

    op.create_table(
        "survey_attribute",
        sa.Column("response_id", sa.String(length=100), nullable=False),
        sa.Column("attribute", sa.String(length=100), nullable=False),
        sa.Column("rating", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["survey_response.response_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "attribute"),
    )
    with op.batch_alter_table("survey_attribute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_attribute_attribute"), ["attribute"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_attribute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_attribute_attribute"))

    op.drop_table("survey_attribute")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_store_time")
        batch_op.drop_index(batch_op.f("ix_survey_response_touchpoint_id"))
        batch_op.drop_index(batch_op.f("ix_survey_response_responded_at"))

    op.drop_table("survey_response")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_date"))

    op.drop_table("sales")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_store_time")
        batch_op.drop_index(batch_op.f("ix_review_posted_at"))

    op.drop_table("review")
    with op.batch_alter_table("nps_response", schema=None) as batch_op:
        batch_op.drop_index("ix_nps_store_time")
        batch_op.drop_index(batch_op.f("ix_nps_response_touchpoint_id"))
        batch_op.drop_index(batch_op.f("ix_nps_response_responded_at"))

    op.drop_table("nps_response")
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_region_id"))
        batch_op.drop_index(batch_op.f("ix_store_format"))
        batch_op.drop_index(batch_op.f("ix_store_district_id"))

    op.drop_table("store")
    with op.batch_alter_table("district", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_district_region_id"))

    op.drop_table("district")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_region_brand_id"))

    op.drop_table("region")
    op.drop_table("touchpoint")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batch_sha256"))
        batch_op.drop_index(batch_op.f("ix_import_batch_kind"))

    op.drop_table("import_batch")
    op.drop_table("goal")
    op.drop_table("brand")
