"""One durable job table for every queue (the request gate's jobs move into it)."""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"

STAMP = sa.DateTime(timezone=True)
FIELDS = "kind, key, payload, run_at, attempts, last_error"


def upgrade() -> None:
    """Create jobs, move the request jobs into it, drop request_jobs."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("queue", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("run_at", STAMP, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.UniqueConstraint("queue", "key"),
    )
    op.create_index("ix_jobs_due", "jobs", ["queue", "run_at"])
    op.execute(
        f"INSERT INTO jobs (queue, {FIELDS}, revision) "  # noqa: S608 - constant column names
        f"SELECT 'request', {FIELDS}, 0 FROM request_jobs"
    )
    op.drop_table("request_jobs")


def downgrade() -> None:
    """Move the request jobs back into request_jobs; other queues' jobs are dropped."""
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
    op.execute(
        f"INSERT INTO request_jobs ({FIELDS}) "  # noqa: S608 - constant column names
        f"SELECT {FIELDS} FROM jobs WHERE queue = 'request'"
    )
    op.drop_table("jobs")
