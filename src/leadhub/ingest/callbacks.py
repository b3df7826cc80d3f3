"""Delivering lead callbacks: POST the new lead's v1 JSON to the portal's callback URL.

The outbox row is written in the transaction that stored the new lead, so a
callback is never lost; it is delivered at least once (a crash between the
POST and recording it sends it again) and retried with backoff. Receivers can
de-duplicate on the ``X-Leadhub-Callback-Id`` header.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import httpx
import orjson

from leadhub.leads import service as lead_service
from leadhub.leads.render import render
from leadhub.store import Database
from leadhub.store import callbackqueue as callback_store
from leadhub.store import queue as queue_store
from leadhub.store.callbackqueue import Callback
from leadhub.store.schema import callbacks
from leadhub.util import now_ms

if TYPE_CHECKING:
    from leadhub.ingest.worker import WorkerConfig

log = logging.getLogger("leadhub.ingest")


class Deliverer:
    """Claims due callbacks and POSTs them, one small transaction per outcome."""

    def __init__(self, db: Database, base_url: str, config: WorkerConfig, worker: str) -> None:
        self.db = db
        self.base_url = base_url
        self.config = config
        self.worker = worker
        self.http = httpx.Client(
            timeout=config.callback_timeout,
            headers={"User-Agent": "leadhub-callbacks"},
            follow_redirects=False,
        )

    def _body(self, cb: Callback) -> bytes | None:
        views = self.db.read_call(lead_service.load, cb.portal_id, [cb.lead_id])
        if not views:
            return None
        return orjson.dumps(render(views[0], self.base_url), option=orjson.OPT_SORT_KEYS)

    def run_once(self) -> int:
        """Deliver one batch of due callbacks; returns how many were claimed."""
        policy = self.config.callback_policy
        due = self.db.write_call(
            callback_store.claim_callbacks,
            self.worker,
            now_ms(),
            int(max(self.config.callback_timeout * 3, self.config.lease_seconds) * 1000),
            self.config.batch,
            policy.max_attempts,
        )
        for cb in due:
            error = self._deliver(cb)
            if error is None:
                self.db.write_call(callback_store.finish_callback, cb.id, self.worker, now_ms())
                continue
            log.warning(
                "callback %d to %s failed (attempt %d): %s", cb.id, cb.url, cb.attempts, error
            )
            retry_at = (
                None
                if cb.attempts >= policy.max_attempts
                else now_ms() + policy.retry_delay_ms(cb.attempts)
            )
            self.db.write_call(
                queue_store.release_for_retry, callbacks, cb.id, error, retry_at=retry_at
            )
        return len(due)

    def _deliver(self, cb: Callback) -> str | None:
        """POST one callback; None on a 2xx answer, else what went wrong."""
        body = self._body(cb)
        if body is None:
            return None  # the lead is gone for good: nothing to tell
        try:
            response = self.http.post(
                cb.url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Leadhub-Callback-Id": str(cb.id),
                },
            )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:200]}"

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()
