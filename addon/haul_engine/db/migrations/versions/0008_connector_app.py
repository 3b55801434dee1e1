"""Which app and version answer at each connector."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    """Add connectors.app and connectors.app_version."""
    op.add_column("connectors", sa.Column("app", sa.String(64), nullable=True))
    op.add_column("connectors", sa.Column("app_version", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop connectors.app and connectors.app_version."""
    with op.batch_alter_table("connectors") as table:
        table.drop_column("app_version")
        table.drop_column("app")
