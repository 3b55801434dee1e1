"""The poster of each request."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    """Add media_requests.poster_url."""
    op.add_column("media_requests", sa.Column("poster_url", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop media_requests.poster_url."""
    with op.batch_alter_table("media_requests") as table:
        table.drop_column("poster_url")
