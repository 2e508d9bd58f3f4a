"""Coarser rollups: daily totals over every store, and store x week / month with touchpoints summed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NPS = tuple((f"s{i}", sa.Integer(), False) for i in range(11))
SURVEY = (
    ("n", sa.Integer(), False),
    ("csat_sum", sa.Float(), False),
    ("csat_sq", sa.Float(), False),
    ("top2", sa.Integer(), False),
    *((f"c{i}", sa.Integer(), False) for i in range(1, 6)),
    ("ces_n", sa.Integer(), False),
    ("ces_sum", sa.Float(), False),
    ("ces_sq", sa.Float(), False),
    ("ces_agree", sa.Integer(), False),
    *((f"e{i}", sa.Integer(), False) for i in range(1, 8)),
)
ATTRIBUTE = (("n", sa.Integer(), False), ("rating_sum", sa.Float(), False), ("rating_sq", sa.Float(), False))
REVIEW = (
    ("n", sa.Integer(), False),
    ("rating_sum", sa.Float(), False),
    ("rating_sq", sa.Float(), False),
    ("low", sa.Integer(), False),
    *((f"r{i}", sa.Integer(), False) for i in range(1, 6)),
)
SALES = (
    ("days", sa.Integer(), False),
    ("revenue", sa.Float(), True),
    ("transactions", sa.Integer(), True),
    ("revenue_paired", sa.Float(), False),
    ("transactions_paired", sa.Integer(), False),
)
KEY_TYPES = {
    "store_id": sa.String(length=100),
    "touchpoint_id": sa.Integer(),
    "attribute": sa.String(length=100),
}
TABLES = {  # name -> (primary key, measure columns)
    "nps_daily_total": (("day", "touchpoint_id"), NPS),
    "nps_store_weekly": (("store_id", "week"), NPS),
    "nps_store_monthly": (("store_id", "month"), NPS),
    "survey_daily_total": (("day", "touchpoint_id"), SURVEY),
    "survey_store_weekly": (("store_id", "week"), SURVEY),
    "survey_store_monthly": (("store_id", "month"), SURVEY),
    "attribute_daily_total": (("day", "touchpoint_id", "attribute"), ATTRIBUTE),
    "review_daily_total": (("day",), REVIEW),
    "review_store_weekly": (("store_id", "week"), REVIEW),
    "sales_daily_total": (("day",), SALES),
    "sales_store_weekly": (("store_id", "week"), SALES),
}


def upgrade() -> None:
    for name, (keys, measures) in TABLES.items():
        op.create_table(
            name,
            *(sa.Column(key, KEY_TYPES.get(key, sa.Date()), nullable=False) for key in keys),
            *(sa.Column(column, kind, nullable=nullable) for column, kind, nullable in measures),
            sa.PrimaryKeyConstraint(*keys),
        )
        if keys[0] == "store_id":
            op.create_index(f"ix_{name}_{keys[1]}", name, [keys[1]], unique=False)
    op.get_context().config.attributes["rebuild_rollups"] = True  # filled once the schema is at head


def downgrade() -> None:
    for name, (keys, _) in TABLES.items():
        if keys[0] == "store_id":
            op.drop_index(f"ix_{name}_{keys[1]}", table_name=name)
        op.drop_table(name)
