"""create_app: the faces mounted on one store, and one place that renders errors."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from leadhub.auth import Authenticator
from leadhub.config import Settings
from leadhub.crm.association_routes import routes as association_routes
from leadhub.crm.property_routes import routes as crm_property_routes
from leadhub.crm.routes import routes as crm_object_routes
from leadhub.errors import LeadhubError, NotFound, StoreUnavailable
from leadhub.guard import RequestGuard
from leadhub.http import JSONResponse, error_response
from leadhub.ingest.face import routes as ingest_routes
from leadhub.ingest.lane import FormPostLane
from leadhub.ingest.runtime import IngestRuntime
from leadhub.leads.documents import LeadDocuments
from leadhub.leads.fastlane import V1ReadLane
from leadhub.leads.listlane import V1ListLane
from leadhub.leads.routes import routes as v1_routes
from leadhub.openapi import openapi_json
from leadhub.ratelimit import PortalLimits, RateLimitMiddleware
from leadhub.store import Database
from leadhub.store.db import is_unavailable, ping

log = logging.getLogger("leadhub")


@dataclass
class AppContext:
    """What every handler reaches through ``request.app.state.leadhub``."""

    settings: Settings
    db: Database
    auth: Authenticator
    docs: LeadDocuments


async def healthz(request: Request) -> Response:
    """200 once the server is up and its store answers."""
    ctx: AppContext = request.app.state.leadhub
    await ctx.db.aread(ping)
    # The pid tells apart the API processes of `serve --workers N`.
    return JSONResponse({"status": "ok", "pid": os.getpid()})


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LeadhubError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(NotFound(f"no route for {request.method} {request.url.path}"))
    err = LeadhubError(exc.detail or "request failed")
    err.status = exc.status_code
    err.category = "VALIDATION_ERROR" if exc.status_code < 500 else "INTERNAL_ERROR"
    return error_response(err)


def store_unavailable_response(request: Request, exc: Exception) -> Response:
    """503 with Retry-After: the store is down or restarting; nothing was changed or kept."""
    log.warning("store unavailable on %s %s: %s", request.method, request.url.path,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    err = StoreUnavailable()
    response = error_response(err)
    response.headers["Retry-After"] = str(err.retry_after_seconds)
    return response


async def _database_error(request: Request, exc: Exception) -> Response:
    if is_unavailable(exc):
        return store_unavailable_response(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(LeadhubError("an internal error occurred"))


class StoreUnavailableGuard:
    """Answers 503 when the store is unavailable to a middleware before the route runs
    (token and rate-limit lookups): Starlette's handlers only see the routes' errors.

    (No response of this application streams: an error is raised before any of
    it is sent.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            if scope["type"] != "http" or not is_unavailable(exc):
                raise
            response = store_unavailable_response(Request(scope), exc)
            await response(scope, receive, send)


class _Leadhub(Starlette):
    """Starlette with the form post lane and the v1 read and list lanes in front of its
    whole stack (see ingest/lane.py, leads/fastlane.py and leads/listlane.py)."""

    def __init__(
        self, ctx: AppContext, ingest: IngestRuntime, limits: PortalLimits, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._lanes = (ctx, ingest, limits)

    def build_middleware_stack(self) -> ASGIApp:
        ctx, ingest, limits = self._lanes
        stack: ASGIApp = V1ListLane(super().build_middleware_stack(), ctx, limits)
        stack = V1ReadLane(stack, ctx, limits)
        return FormPostLane(stack, ctx, ingest, limits)


def create_app(settings: Settings, db: Database | None = None) -> Starlette:
    """Build the ASGI application over a migrated store."""
    database = db or Database(settings.database_url)
    ctx = AppContext(
        settings=settings,
        db=database,
        auth=Authenticator(database),
        docs=LeadDocuments(database, settings.base_url),
    )
    ingest = IngestRuntime(settings, database)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ingest.start()
        with database.shared_snapshots():
            yield
        ctx.docs.cold.close()
        ingest.stop()
        if db is None:
            database.dispose()

    limits = PortalLimits(database)
    app = _Leadhub(
        ctx,
        ingest,
        limits,
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
            *v1_routes,
            *crm_object_routes,
            *crm_property_routes,
            *ingest_routes,
            *association_routes,
        ],
        exception_handlers={
            LeadhubError: _domain_error,
            HTTPException: _http_error,
            sa.exc.DBAPIError: _database_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
        middleware=[
            Middleware(StoreUnavailableGuard),
            Middleware(RequestGuard),
            Middleware(RateLimitMiddleware, limits),
        ],
    )
    app.state.leadhub = ctx
    app.state.ingest = ingest
    return app
