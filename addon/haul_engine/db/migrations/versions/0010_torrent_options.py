"""qBittorrent's per-torrent options Haul now keeps, and category download paths."""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
_TORRENT_COLUMNS = (
    "custom_name",
    "download_path",
    "auto_tmm",
    "forced",
    "super_seeding",
    "ssl_parameters",
)


def upgrade() -> None:
    """Add the torrent options and the category download path."""
    with op.batch_alter_table("torrents") as table:
        table.add_column(sa.Column("custom_name", sa.Text(), nullable=False, server_default=""))
        table.add_column(sa.Column("download_path", sa.Text(), nullable=False, server_default=""))
        table.add_column(
            sa.Column("auto_tmm", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(
            sa.Column("forced", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(
            sa.Column("super_seeding", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("ssl_parameters", sa.JSON(), nullable=True))
    with op.batch_alter_table("torrent_categories") as table:
        table.add_column(sa.Column("download_path_enabled", sa.Boolean(), nullable=True))
        table.add_column(sa.Column("download_path", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("torrent_categories") as table:
        table.drop_column("download_path")
        table.drop_column("download_path_enabled")
    with op.batch_alter_table("torrents") as table:
        for column in reversed(_TORRENT_COLUMNS):
            table.drop_column(column)
