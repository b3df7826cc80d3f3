"""What the form insert adds to a running server: the group committer, the
remembered targets and the embedded worker."""

from __future__ import annotations

from leadhub.config import Settings
from leadhub.ingest.committer import GroupCommitter
from leadhub.ingest.targets import TargetCache
from leadhub.ingest.worker import Worker
from leadhub.store import Database


class IngestRuntime:
    """Started and stopped with the application (see app.create_app)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.worker: Worker | None = None
        if settings.embedded_worker:
            self.worker = Worker(settings.database_url, settings.base_url)
        self.committer = GroupCommitter(db, on_commit=self.worker.wake if self.worker else None)
        self.targets = TargetCache()

    def start(self) -> None:
        """Start the embedded worker, if any."""
        if self.worker is not None:
            self.worker.start()

    def stop(self) -> None:
        """Commit waiting posts, then stop the worker."""
        self.committer.stop()
        if self.worker is not None:
            self.worker.stop()
