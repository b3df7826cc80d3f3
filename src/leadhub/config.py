"""Settings read from the command line and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite:///leadhub.db"
DATABASE_URL_ENV = "LEADHUB_DATABASE_URL"


def database_url_from_env(explicit: str | None = None) -> str:
    """Return the database URL: the explicit one, else the environment, else SQLite."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


@dataclass
class Settings:
    """Everything a running leadhub needs to know about its surroundings."""

    database_url: str = field(default_factory=database_url_from_env)
    host: str = "127.0.0.1"
    port: int = 8080
    # Links in v1 lead JSON point here; defaults to http://host:port.
    public_url: str | None = None
    # Run the ingest worker inside the API process.
    embedded_worker: bool = True

    @property
    def base_url(self) -> str:
        """The public base URL without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"
