"""Where each request goes and what it holds: 4K, Overseerr's server, profile, folder, overview."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
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
    """Add the routing, overview and per-season columns of media_requests."""
    with op.batch_alter_table("media_requests") as table:
        for name, kind in COLUMNS:
            default = sa.false() if name == "is4k" else None
            table.add_column(sa.Column(name, kind, nullable=name != "is4k", server_default=default))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("media_requests") as table:
        for name, _ in reversed(COLUMNS):
            table.drop_column(name)
