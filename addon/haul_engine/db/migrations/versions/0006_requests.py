"""Requests, candidates, audit trail and the request job table."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the request tables."""
    op.create_table(
        "media_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("connector_id", sa.String(32), nullable=True),
        sa.Column("external_id", sa.String(64), nullable=True),
        sa.Column("media_type", sa.String(8), nullable=False),
        sa.Column("tmdb_id", sa.Integer(), nullable=True),
        sa.Column("tvdb_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("seasons", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("state", sa.String(24), nullable=False, index=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("arr_connector_id", sa.String(32), nullable=True),
        sa.Column("arr_item_id", sa.Integer(), nullable=True),
        sa.Column("selected_candidate_id", sa.Integer(), nullable=True),
        sa.Column("download_id", sa.String(64), nullable=True),
        sa.Column("imported_path", sa.Text(), nullable=True),
        sa.Column("search_attempts", sa.Integer(), nullable=False),
        sa.Column("step_started_at", STAMP, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.UniqueConstraint("connector_id", "external_id"),
    )
    op.create_table(
        "request_candidates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("indexer", sa.Text(), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("indexer_id", sa.Integer(), nullable=True),
        sa.Column("season", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("seeders", sa.Integer(), nullable=True),
        sa.Column("leechers", sa.Integer(), nullable=True),
        sa.Column("quality", sa.Text(), nullable=False),
        sa.Column("release_group", sa.Text(), nullable=False),
        sa.Column("custom_formats", sa.JSON(), nullable=False),
        sa.Column("custom_format_score", sa.Integer(), nullable=False),
        sa.Column("arr_approved", sa.Boolean(), nullable=True),
        sa.Column("arr_rejections", sa.JSON(), nullable=False),
        sa.Column("haul_score", sa.Float(), nullable=False),
        sa.Column("haul_accepted", sa.Boolean(), nullable=False),
        sa.Column("haul_rejections", sa.JSON(), nullable=False),
        sa.Column("info_hash", sa.String(64), nullable=True),
        sa.Column("magnet", sa.Text(), nullable=True),
        sa.Column("download_url", sa.Text(), nullable=True),
        sa.Column("result_key", sa.String(64), nullable=True),
        sa.Column("failed", sa.Text(), nullable=True),
    )
    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), nullable=False, index=True),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_table(
        "request_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(128), nullable=False, unique=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("run_at", STAMP, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_request_jobs_due", "request_jobs", ["run_at"])


def downgrade() -> None:
    """Drop the request tables."""
    for table in ("request_jobs", "request_events", "request_candidates", "media_requests"):
        op.drop_table(table)
