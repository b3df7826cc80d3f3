"""create_app: the faces mounted on one store, and one place that renders errors."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadhub.auth import Authenticator
from leadhub.config import Settings
from leadhub.crm.association_routes import routes as association_routes
from leadhub.crm.property_routes import routes as crm_property_routes
from leadhub.crm.routes import routes as crm_object_routes
from leadhub.errors import LeadhubError, NotFound
from leadhub.guard import RequestGuard
from leadhub.http import JSONResponse, error_response
from leadhub.ingest.face import routes as ingest_routes
from leadhub.ingest.runtime import IngestRuntime
from leadhub.leads.documents import LeadDocuments
from leadhub.leads.fastlane import V1ReadLane
from leadhub.leads.routes import routes as v1_routes
from leadhub.ratelimit import RateLimitMiddleware
from leadhub.store import Database
from leadhub.store.db import ping

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


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(LeadhubError("an internal error occurred"))


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
        yield
        ingest.stop()
        if db is None:
            database.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            *v1_routes,
            *crm_object_routes,
            *crm_property_routes,
            *ingest_routes,
            *association_routes,
        ],
        exception_handlers={
            LeadhubError: _domain_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
        middleware=[
            Middleware(RequestGuard),
            Middleware(RateLimitMiddleware),
            Middleware(V1ReadLane),
        ],
    )
    app.state.leadhub = ctx
    app.state.ingest = ingest
    return app
