"""One durable job table for every queue (the request gate's jobs move into it)."""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"

FIELDS = "kind, key, payload, run_at, attempts, last_error"


def _job_columns(*, key_unique: bool) -> list[sa.Column[object]]:
    """Describe a job as both tables hold it: request_jobs (0006) and jobs."""
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(128), nullable=False, unique=key_unique),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    """Create jobs (a row per queue and key), move the request jobs into it, drop request_jobs."""
    op.create_table(
        "jobs",
        sa.Column("queue", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        *_job_columns(key_unique=False),
        sa.UniqueConstraint("queue", "key"),
    )
    op.create_index("ix_jobs_due", "jobs", ["queue", "run_at"])
    op.execute(
        f"INSERT INTO jobs (queue, revision, {FIELDS}) "
        f"SELECT 'request', 0, {FIELDS} FROM request_jobs"
    )
    op.drop_table("request_jobs")


def downgrade() -> None:
    """Move the request jobs back into request_jobs; other queues' jobs are dropped."""
    op.create_table("request_jobs", *_job_columns(key_unique=True))
    op.create_index("ix_request_jobs_due", "request_jobs", ["run_at"])
    op.execute(
        f"INSERT INTO request_jobs ({FIELDS}) SELECT {FIELDS} FROM jobs WHERE queue = 'request'"
    )
    op.drop_table("jobs")
