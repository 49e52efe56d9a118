"""therapists: original terms, taxonomy fingerprint, professions, NPI, merged profiles;
person_keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("therapists") as batch:
        batch.add_column(
            sa.Column("original_terms", JSON, nullable=False, server_default=sa.text("'{}'"))
        )
        batch.add_column(sa.Column("taxonomy_fingerprint", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("professions", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("npi", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("confirmed_npi", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        batch.create_index("ix_therapists_npi", ["npi"])
        batch.create_index("ix_therapists_merged_into", ["merged_into"])
        batch.create_foreign_key(
            "fk_therapists_merged_into", "therapists", ["merged_into"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "person_keys",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["therapist_id"], ["therapists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "therapist_id"),
    )
    op.create_index("ix_person_keys_therapist_id", "person_keys", ["therapist_id"])


def downgrade() -> None:
    op.drop_index("ix_person_keys_therapist_id", table_name="person_keys")
    op.drop_table("person_keys")
    with op.batch_alter_table("therapists") as batch:
        batch.drop_constraint("fk_therapists_merged_into", type_="foreignkey")
        batch.drop_index("ix_therapists_merged_into")
        batch.drop_index("ix_therapists_npi")
        for column in (
            "merged_into",
            "confirmed_npi",
            "npi",
            "professions",
            "taxonomy_fingerprint",
            "original_terms",
        ):
            batch.drop_column(column)
