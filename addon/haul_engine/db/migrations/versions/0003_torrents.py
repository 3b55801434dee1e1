"""Torrents and torrent categories."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    """Create torrents and torrent_categories."""
    op.create_table(
        "torrents",
        sa.Column("info_hash", sa.String(40), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("magnet", sa.Text(), nullable=False),
        sa.Column("torrent", sa.LargeBinary(), nullable=True),
        sa.Column("category", sa.String(255), nullable=False, index=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("save_path", sa.Text(), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("sequential", sa.Boolean(), nullable=False),
        sa.Column("first_last_piece", sa.Boolean(), nullable=False),
        sa.Column("content_layout", sa.String(16), nullable=False),
        sa.Column("ratio_limit", sa.Float(), nullable=False),
        sa.Column("seeding_time_limit", sa.Integer(), nullable=False),
        sa.Column("inactive_seeding_time_limit", sa.Integer(), nullable=False),
        sa.Column("download_limit", sa.Integer(), nullable=False),
        sa.Column("upload_limit", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True, index=True),
        sa.Column("added_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_on", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "torrent_categories",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("save_path", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("torrent_categories")
    op.drop_table("torrents")
