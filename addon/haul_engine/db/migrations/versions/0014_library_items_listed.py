"""Whether the *arr's wanted lists hold an item at all: Radarr 5 lists no movie without a year.

Kept apart from when it is out, so that what is monitored, without a file and not out yet
(upcoming) is counted as the *arr's missing list counts it. Rows stored before say listed until
their next sync.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    """Add library_items.listed.

    Not in a batch: for a default written as an expression SQLite's batch rebuilds the table,
    and dropping the old one deleted every search of its items by cascade (foreign keys on).
    """
    op.add_column(
        "library_items", sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.true())
    )


def downgrade() -> None:
    """Drop it (in place: SQLite 3.35 drops a column without rebuilding the table)."""
    op.drop_column("library_items", "listed")
