"""The form insert face: ``POST /?app=leaddirector&FormName=X`` (seed 004) and the
v1 callback URL routes.

A post is validated, stored durably (group commit) and answered with the
submission guid; a worker turns it into a lead later. Answers and errors are
plain text, as HubSpot's form insert answers.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from yarl import query_to_pairs

from leadhub.errors import (
    LeadhubError,
    NotFound,
    StoreUnavailable,
    UnsupportedMediaType,
    ValidationError,
)
from leadhub.http import JSONResponse, media_type, read_body
from leadhub.ingest import service
from leadhub.ingest.fields import validate
from leadhub.store.db import is_unavailable
from leadhub.store.forms import Form
from leadhub.util import new_guid, now_ms

log = logging.getLogger("leadhub.ingest")

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
SUCCESS = "Lead has been successfully added to HubSpot"


def form_error(exc: LeadhubError) -> Response:
    """An error as the form insert answers it: plain text."""
    response = PlainTextResponse(f"Error: {exc.message}\n", status_code=exc.status)
    if isinstance(exc, StoreUnavailable):
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


async def form_post(request: Request) -> Response:
    """Accept one form post: validate, store durably, answer with its submission guid.

    With the store unavailable (stopped, restarting), the answer is a 503:
    the post was not acknowledged and the client retries it later.
    """
    try:
        return await _accept(request)
    except LeadhubError as exc:
        return form_error(exc)
    except sa.exc.DBAPIError as exc:
        if not is_unavailable(exc):
            raise
        log.warning("form post refused, the store is unavailable: %s",
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return form_error(StoreUnavailable())


async def _accept(request: Request) -> Response:
    ctx = request.app.state.leadhub
    ingest = request.app.state.ingest
    params = request.query_params
    content_type = request.headers.get("content-type")
    form_name = check_post(params, content_type)
    raw = await read_body(request)
    fields = validate(parse_body(raw, charset_of(content_type)))
    host, portal_param = request.headers.get("host"), params.get("portalId")
    key = ingest.targets.key(host, portal_param, form_name)
    target = ingest.targets.get(key)
    if target is None:
        target = await ctx.db.aread(service.resolve_target, host, portal_param, form_name)
        ingest.targets.put(key, target)
    form = target.form
    if form is None:
        if not target.accept_new_forms:
            raise NotFound(
                f"form {form_name!r} is not configured for portal {target.portal_id}; "
                f"create it with: leadhub form create --portal {target.portal_id} "
                f"--name {form_name!r}"
            )
        form = await ctx.db.awrite(service.ensure_form, target.portal_id, form_name)
    guid = await store(ingest, form, fields)
    return PlainTextResponse(success_text(guid))


def check_post(params: Mapping[str, str], content_type: str | None) -> str:
    """The form name of a post to ``/``, after checking its app and content type."""
    app_name = params.get("app")
    if app_name != "leaddirector":
        raise NotFound(
            f"unknown app {app_name!r}: form posts go to /?app=leaddirector&FormName=X"
        )
    if (content_type or "").split(";")[0].strip().lower() != FORM_MEDIA_TYPE:
        raise UnsupportedMediaType(
            f"the body must be sent as Content-Type: {FORM_MEDIA_TYPE} "
            f"(got {content_type or 'none'})"
        )
    return service.check_form_name(params.get("FormName") or params.get("formName") or "")


async def store(ingest: Any, form: Form, fields: list[tuple[str, str]]) -> str:
    """Store a validated post durably (group commit); returns its submission guid."""
    guid = new_guid()
    row: dict[str, Any] = {
        "guid": guid,
        "portal_id": form.portal_id,
        "form_id": form.id,
        "form_name": form.name,
        "form_guid": form.guid,
        "fields": fields,  # (name, value) pairs, stored as [[name, value], ...]
        "received_at": now_ms(),
    }
    await ingest.committer.enqueue(row)
    return guid


def success_text(guid: str) -> str:
    """The answer to an accepted post."""
    return f"{SUCCESS}\nsubmissionGuid={guid}\n"


def charset_of(content_type: str | None) -> str:
    """The body's character set: the Content-Type's ``charset``, else UTF-8."""
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            name = value.strip().strip('"')[:100]
            try:
                codecs.lookup(name)
            except LookupError:
                raise UnsupportedMediaType(f"unknown charset {name!r}") from None
            return name
    return "UTF-8"


MAX_PARSED_FIELDS = 10_000


def parse_body(raw: bytes, charset: str) -> list[tuple[str, str]]:
    """The fields of an urlencoded body; 400 for text (raw or percent-encoded) that is not
    in the body's character set, rather than storing U+FFFD in place of what was sent.

    A UTF-8 body (nearly every post) is parsed by yarl's ``query_to_pairs``, which
    gives what ``parse_qsl`` gives in a fraction of its time but replaces what does not
    decode with U+FFFD; a result holding U+FFFD is parsed again strictly, which refuses
    it, or keeps it where it was sent as such.
    """
    try:
        text = raw.decode(charset)
        if codecs.lookup(charset).name == "utf-8":
            pairs = query_to_pairs(text, max_fields=MAX_PARSED_FIELDS)
            if "%" not in text or not any(
                "\ufffd" in name or "\ufffd" in value for name, value in pairs
            ):
                return pairs
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_PARSED_FIELDS,
                         encoding=charset, errors="strict")
    except LookupError:  # a codec that is not a text encoding, such as rot13
        raise UnsupportedMediaType(f"charset {charset!r} is not a text encoding") from None
    except UnicodeDecodeError:
        raise ValidationError(
            f"the body is not valid {charset} (raw or percent-encoded); send "
            "Content-Type: application/x-www-form-urlencoded; charset=... for another encoding"
        ) from None
    except ValueError as exc:
        raise ValidationError(f"the body is not a valid form post: {exc}") from None


async def _callback_url_from(request: Request) -> str | None:
    url = request.query_params.get("url")
    if url:
        return url
    if media_type(request) == "application/json":
        import orjson

        try:
            body = orjson.loads(await read_body(request) or b"{}")
        except orjson.JSONDecodeError:
            raise ValidationError("the request body is not valid JSON") from None
        if isinstance(body, dict) and isinstance(body.get("url"), str):
            return str(body["url"])
    return None


async def callback_url(request: Request) -> Response:
    """GET, POST (register) and DELETE /leads/v1/callback-url."""
    ctx = request.app.state.leadhub
    portal_id = await ctx.auth.portal_id(request)
    if request.method == "GET":
        url = await ctx.db.aread(service.get_callback_url, portal_id)
    elif request.method == "DELETE":
        await ctx.db.awrite(service.remove_callback_url, portal_id)
        return Response(status_code=204)
    else:
        given = await _callback_url_from(request)
        url = await ctx.db.awrite(service.register_callback_url, portal_id, given)
    return JSONResponse({"url": url, "portalId": portal_id})


routes = [
    Route("/", form_post, methods=["POST"]),
    Route("/leads/v1/callback-url", callback_url, methods=["GET", "POST", "DELETE"]),
    Route("/leads/v1/callback-url/", callback_url, methods=["GET", "POST", "DELETE"]),
]
