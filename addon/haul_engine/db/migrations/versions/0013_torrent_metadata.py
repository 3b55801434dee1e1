"""Each torrent's metadata (its .torrent) kept once, in its own table, not loaded with the torrent.

Resume data is saved without it from now on; `torrents.torrent` moves here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    """Create torrent_metadata, move the .torrent bytes into it, drop torrents.torrent.

    The column is dropped in place (SQLite 3.35 does it without rebuilding the table): a batch
    rebuilds torrents, and dropping the old table deleted every torrent_metadata row just
    written by cascade (foreign keys on).
    """
    op.create_table(
        "torrent_metadata",
        sa.Column(
            "info_hash",
            sa.String(40),
            sa.ForeignKey("torrents.info_hash", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.execute(
        "INSERT INTO torrent_metadata (info_hash, data) "
        "SELECT info_hash, torrent FROM torrents WHERE torrent IS NOT NULL"
    )
    op.drop_column("torrents", "torrent")


def downgrade() -> None:
    """Put the bytes back on the torrents."""
    with op.batch_alter_table("torrents") as table:
        table.add_column(sa.Column("torrent", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE torrents SET torrent = "
        "(SELECT data FROM torrent_metadata WHERE torrent_metadata.info_hash = torrents.info_hash)"
    )
    op.drop_table("torrent_metadata")
