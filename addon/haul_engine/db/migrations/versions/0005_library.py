"""Library mirror, search registry and search history."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

CONNECTOR = "connectors.id"


def _connector() -> sa.Column[str]:
    return sa.Column(
        "connector_id", sa.String(32), sa.ForeignKey(CONNECTOR, ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    """Create the library tables."""
    op.create_table(
        "library_series",
        sa.Column("id", sa.Integer(), primary_key=True),
        _connector(),
        sa.Column("arr_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("monitored", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.UniqueConstraint("connector_id", "arr_id"),
    )
    op.create_table(
        "library_seasons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "series_id",
            sa.Integer(),
            sa.ForeignKey("library_series.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("season_number", sa.Integer(), nullable=False),
        sa.Column("monitored", sa.Boolean(), nullable=False),
        sa.Column("episode_count", sa.Integer(), nullable=False),
        sa.Column("episode_file_count", sa.Integer(), nullable=False),
        sa.Column("total_episode_count", sa.Integer(), nullable=False),
        sa.Column("next_airing", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("series_id", "season_number"),
    )
    op.create_table(
        "library_artists",
        sa.Column("id", sa.Integer(), primary_key=True),
        _connector(),
        sa.Column("arr_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("monitored", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("connector_id", "arr_id"),
    )
    op.create_table(
        "library_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        _connector(),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("arr_id", sa.Integer(), nullable=False),
        sa.Column(
            "series_id",
            sa.Integer(),
            sa.ForeignKey("library_series.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "artist_id",
            sa.Integer(),
            sa.ForeignKey("library_artists.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("parent_arr_id", sa.Integer(), nullable=True),
        sa.Column("season_number", sa.Integer(), nullable=True),
        sa.Column("episode_number", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("monitored", sa.Boolean(), nullable=False),
        sa.Column("has_file", sa.Boolean(), nullable=False),
        sa.Column("quality", sa.String(64), nullable=True),
        sa.Column("cutoff_not_met", sa.Boolean(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_search_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("connector_id", "kind", "arr_id"),
    )
    op.create_index("ix_library_items_series", "library_items", ["series_id"])
    op.create_table(
        "library_searches",
        sa.Column(
            "item_id",
            sa.Integer(),
            sa.ForeignKey("library_items.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _connector(),
        sa.Column("reason", sa.String(8), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("boost", sa.Integer(), nullable=False),
        sa.Column("next_eligible_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(32), nullable=True),
        sa.Column("history_id", sa.Integer(), nullable=True),
    )
    op.create_index(
        "ix_library_searches_due", "library_searches", ["connector_id", "state", "next_eligible_at"]
    )
    op.create_table(
        "library_search_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        _connector(),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("arr_command_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_library_search_history_time", "library_search_history", ["connector_id", "started_at"]
    )
    op.create_table(
        "library_sync_state",
        sa.Column(
            "connector_id",
            sa.String(32),
            sa.ForeignKey(CONNECTOR, ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("flavor", sa.String(8), nullable=True),
        sa.Column("last_full_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Drop the library tables."""
    for table in (
        "library_sync_state", "library_search_history", "library_searches", "library_items",
        "library_artists", "library_seasons", "library_series",
    ):  # fmt: skip
        op.drop_table(table)
