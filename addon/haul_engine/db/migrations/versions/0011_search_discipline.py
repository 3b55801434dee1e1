"""The library's search discipline: outcomes, season packs that fell back, exhaustion, boosts."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    """Add the outcome of each search, when an entry may be packed again or was given up."""
    with op.batch_alter_table("library_searches") as table:
        table.add_column(sa.Column("outcome", sa.String(16), nullable=True))
        table.add_column(
            sa.Column("pack_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        table.add_column(sa.Column("pack_retry_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("exhausted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("library_search_history", sa.Column("outcome", sa.String(16), nullable=True))
    op.add_column(
        "library_series", sa.Column("boost", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("library_series") as table:
        table.drop_column("boost")
    with op.batch_alter_table("library_search_history") as table:
        table.drop_column("outcome")
    with op.batch_alter_table("library_searches") as table:
        for column in ("exhausted_at", "pack_retry_at", "pack_attempts", "outcome"):
            table.drop_column(column)
