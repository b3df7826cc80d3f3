"""Submissions count the clashes they were retried after.

A submission whose processing clashes with a concurrent transaction (a
unique key another worker took first, a deadlock) goes back to the queue
without spending an attempt: contention is not its fault. A clash that never
goes away would then be retried without end. ``conflicts`` counts the
retries given for free; past the worker policy's limit a clash spends
attempts like any other error, so such a submission ends ``failed`` with its
error visible (ingest/process.py).

Revision ID: 0012_submission_conflicts
Revises: 0011_lead_document_email
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_submission_conflicts"
down_revision = "0011_lead_document_email"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "submissions", sa.Column("conflicts", sa.Integer, nullable=False, server_default="0")
    )


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("conflicts")
