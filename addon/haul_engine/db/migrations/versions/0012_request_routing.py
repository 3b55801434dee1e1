"""Where each request goes and what it holds; each season's state; season packs.

4K, Overseerr's server, the arr's profile, folder, language profile and tags, the overview, the
state of each season of a series, and whether a candidate is a whole season.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
COLUMNS = (
    ("overview", sa.Text()),
    ("is4k", sa.Boolean()),
    ("arr_server_id", sa.Integer()),
    ("quality_profile_id", sa.Integer()),
    ("root_folder", sa.Text()),
    ("language_profile_id", sa.Integer()),
    ("tags", sa.JSON()),
    ("foreign_id", sa.String(64)),
    ("season_states", sa.JSON()),
)


def upgrade() -> None:
    """Add the routing, overview and per-season columns of media_requests and full_season."""
    with op.batch_alter_table("media_requests") as table:
        for name, kind in COLUMNS:
            default = sa.false() if name == "is4k" else None
            table.add_column(sa.Column(name, kind, nullable=name != "is4k", server_default=default))
    op.add_column("request_candidates", sa.Column("full_season", sa.Boolean(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("request_candidates") as table:
        table.drop_column("full_season")
    with op.batch_alter_table("media_requests") as table:
        for name, _ in reversed(COLUMNS):
            table.drop_column(name)
