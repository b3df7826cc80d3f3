"""Form-insert rules: forms, finding the portal of a post, accepting it, callback URLs,
queue visibility."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from sqlalchemy.engine import Connection

from leadhub.errors import Conflict, NotFound, ValidationError
from leadhub.store import forms as form_store
from leadhub.store import portals as portal_store
from leadhub.store import queue as queue_store
from leadhub.store.forms import Form
from leadhub.store.schema import callbacks, submissions
from leadhub.util import new_guid, now_ms
from leadhub.values import MAX_INT, digits

ACCEPT_NEW_FORMS = "formsAcceptNew"
MAX_FORM_NAME = 200


@dataclass(frozen=True)
class Target:
    """Where a form post goes: its portal and form (None: unknown name)."""

    portal_id: int
    form: Form | None
    accept_new_forms: bool


def _check_portal(conn: Connection, portal_id: int) -> None:
    if portal_store.get_portal(conn, portal_id) is None:
        raise NotFound(f"portal {portal_id} does not exist")


def normalize_host(host: str) -> str:
    """A host name without port, trailing dot or case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.split(":")[0].rstrip(".")


def resolve_portal(conn: Connection, host: str | None, portal_param: str | None) -> int:
    """The portal of a post: by configured host name, else ``portalId``, else the only one."""
    if host:
        by_host = form_store.portal_for_host(conn, normalize_host(host))
        if by_host is not None:
            return by_host
    if portal_param is not None and portal_param.strip():
        text = portal_param.strip()
        if not digits(text) or int(text) > MAX_INT:
            raise ValidationError(f"portalId must be a portal number, got {portal_param!r}")
        _check_portal(conn, int(text))
        return int(text)
    portals = portal_store.list_portals(conn)
    if len(portals) == 1:
        return portals[0].id
    raise ValidationError(
        "cannot tell which portal this post is for: add portalId=<portal> to the URL "
        "or configure a host name for the portal (leadhub form config --add-host)"
    )


def resolve_target(
    conn: Connection, host: str | None, portal_param: str | None, form_name: str
) -> Target:
    """The portal and form of a post (the form is None when the name is not configured)."""
    portal_id = resolve_portal(conn, host, portal_param)
    portal = portal_store.get_portal(conn, portal_id)
    accept = bool(portal and portal.settings.get(ACCEPT_NEW_FORMS))
    return Target(portal_id, form_store.find_form(conn, portal_id, form_name), accept)


def check_form_name(name: str) -> str:
    """A usable form name, stripped; ValidationError otherwise."""
    clean = name.strip()
    if not clean:
        raise ValidationError("FormName is required (POST /?app=leaddirector&FormName=X)")
    if len(clean) > MAX_FORM_NAME:
        raise ValidationError(f"FormName is longer than {MAX_FORM_NAME} characters")
    if "\x00" in clean:
        raise ValidationError("FormName must not contain NUL characters")
    return clean


def create_form(conn: Connection, portal_id: int, name: str) -> Form:
    """Configure a new form for a portal; Conflict if the name (in any case) exists."""
    _check_portal(conn, portal_id)
    clean = check_form_name(name)
    if form_store.find_form(conn, portal_id, clean) is not None:
        raise Conflict(f"portal {portal_id} already has a form named {clean!r}")
    return form_store.create_form(conn, portal_id, clean, new_guid(), now_ms())


def ensure_form(conn: Connection, portal_id: int, name: str) -> Form:
    """The portal's form of this name, registering it if new (portals that accept new forms)."""
    clean = check_form_name(name)
    found = form_store.find_form(conn, portal_id, clean)
    return found or form_store.create_form(conn, portal_id, clean, new_guid(), now_ms())


def list_forms(conn: Connection, portal_id: int | None = None) -> list[Form]:
    """Configured forms of one portal or all."""
    if portal_id is not None:
        _check_portal(conn, portal_id)
    return form_store.list_forms(conn, portal_id)


def form_url(conn: Connection, form: Form, base_url: str) -> str:
    """The full URL to post a form to: on the portal's host name, else with ``portalId``."""
    path = f"/?app=leaddirector&FormName={quote(form.name, safe='')}"
    hosts = form_store.hosts_of(conn, form.portal_id)
    if hosts:
        scheme = urlsplit(base_url).scheme or "http"
        return f"{scheme}://{hosts[0]}{path}"
    return f"{base_url.rstrip('/')}{path}&portalId={form.portal_id}"


@dataclass(frozen=True)
class FormConfig:
    portal_id: int
    hosts: list[str]
    accept_new_forms: bool


def configure(
    conn: Connection,
    portal_id: int,
    *,
    add_hosts: list[str] | None = None,
    remove_hosts: list[str] | None = None,
    accept_new_forms: bool | None = None,
) -> FormConfig:
    """Change a portal's form-insert settings; returns them."""
    portal = portal_store.get_portal(conn, portal_id)
    if portal is None:
        raise NotFound(f"portal {portal_id} does not exist")
    for host in remove_hosts or []:
        form_store.remove_host(conn, portal_id, normalize_host(host))
    for host in add_hosts or []:
        clean = normalize_host(host)
        if not clean:
            raise ValidationError("a host name must not be empty")
        holder = form_store.portal_for_host(conn, clean)
        if holder is not None and holder != portal_id:
            raise Conflict(f"host {clean} is already configured for portal {holder}")
        if holder is None:
            form_store.add_host(conn, portal_id, clean)
    settings = dict(portal.settings)
    if accept_new_forms is not None:
        settings[ACCEPT_NEW_FORMS] = accept_new_forms
        portal_store.update_settings(conn, portal_id, settings)
    return FormConfig(
        portal_id, form_store.hosts_of(conn, portal_id), bool(settings.get(ACCEPT_NEW_FORMS))
    )


# ---------------------------------------------------------------- callback URL


def register_callback_url(conn: Connection, portal_id: int, url: str | None) -> str:
    """Register the portal's lead callback URL (http or https)."""
    text = (url or "").strip()
    if not text:
        raise ValidationError("give the callback URL as ?url=... or a JSON body {\"url\": ...}")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"the callback URL must be an http or https URL, got {text!r}")
    form_store.set_callback_url(conn, portal_id, text, now_ms())
    return text


def get_callback_url(conn: Connection, portal_id: int) -> str:
    """The portal's lead callback URL; NotFound when none is registered."""
    url = form_store.get_callback_url(conn, portal_id)
    if url is None:
        raise NotFound("no callback URL is registered for this portal")
    return url


def remove_callback_url(conn: Connection, portal_id: int) -> None:
    """Stop sending lead callbacks for the portal."""
    form_store.set_callback_url(conn, portal_id, None, now_ms())


# ---------------------------------------------------------------- queue visibility


@dataclass(frozen=True)
class QueueStatus:
    submissions: dict[str, int]
    oldest_pending_age_ms: int | None
    callbacks: dict[str, int]
    oldest_callback_age_ms: int | None
    failed: list[queue_store.Submission]


def queue_status(conn: Connection, portal_id: int | None = None, failed: int = 10) -> QueueStatus:
    """Counts per status, the age of the oldest pending item, and recent failures."""
    now = now_ms()
    subs, oldest = queue_store.status_counts(conn, submissions, "received_at", portal_id)
    cbs, oldest_cb = queue_store.status_counts(conn, callbacks, "created_at", portal_id)
    return QueueStatus(
        subs,
        now - oldest if oldest is not None else None,
        cbs,
        now - oldest_cb if oldest_cb is not None else None,
        queue_store.failed_submissions(conn, failed, portal_id),
    )


def retry_failed(conn: Connection, portal_id: int | None = None) -> tuple[int, int]:
    """Put failed submissions and callbacks back in their queues."""
    now = now_ms()
    return (
        queue_store.requeue_failed(conn, submissions, now, portal_id),
        queue_store.requeue_failed(conn, callbacks, now, portal_id),
    )
