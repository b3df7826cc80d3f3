"""Turning queued submissions into leads: de-duplication, conversion events, callbacks.

Everything for one submission happens in the transaction that marks it done,
inside a savepoint of its own, so a batch of submissions commits (and syncs
to disk) once while one bad submission cannot spoil the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.errors import Conflict
from leadhub.ingest import fresh
from leadhub.ingest.fields import SOURCE_TYPE, TOKEN_PROP, FormValues, conversion_event, interpret
from leadhub.leads import service as lead_service
from leadhub.leads.service import EMAIL_PROP, normalize_email
from leadhub.leads.update import close_changes
from leadhub.store import callbackqueue as callback_store
from leadhub.store import events as event_store
from leadhub.store import forms as form_store
from leadhub.store import objects as obj_store
from leadhub.store import queue as queue_store
from leadhub.store import uniquevalues as unique_store
from leadhub.store.db import is_unavailable
from leadhub.store.objects import Change, ObjectRow
from leadhub.store.queue import Submission
from leadhub.store.schema import submissions
from leadhub.util import now_ms

log = logging.getLogger("leadhub.ingest")

# Conflicts with a concurrent writer (another worker creating the same person)
# are retried at once, in a fresh savepoint, this many times.
IN_PLACE_TRIES = 4
# Write the submissions of new people in a batch with one statement per table
# (ingest/fresh.py); off, every submission goes through ``process``.
BATCH_NEW_PEOPLE = True


@dataclass(frozen=True)
class Policy:
    """How often and how patiently a failing submission is retried."""

    max_attempts: int = 5
    retry_base_ms: int = 1_000
    retry_max_ms: int = 300_000
    # Clashes with concurrent transactions retried without spending an attempt;
    # past these, a clash that keeps coming back counts like any other error.
    max_conflicts: int = 50

    def retry_delay_ms(self, attempts: int) -> int:
        """Exponential backoff after the given number of attempts."""
        return int(min(self.retry_base_ms * 2 ** max(attempts - 1, 0), self.retry_max_ms))


@dataclass(frozen=True)
class Outcome:
    submission_guid: str
    lead_id: int
    created: bool


def _locked_contact(conn: Connection, portal_id: int, contact_id: int | None) -> ObjectRow | None:
    if contact_id is None:
        return None
    return obj_store.get(conn, portal_id, ct.CONTACTS, contact_id, for_update=True)


def match_contact(conn: Connection, portal_id: int, form: FormValues) -> ObjectRow | None:
    """The known person a submission is from (row locked): same email, else same user token.

    A submission with a new email adopts a contact found by user token only
    if that contact has no email yet (an anonymous visitor who now
    identifies themself).
    """
    email = form.email
    if email:
        by_email = unique_store.find_unique(
            conn, portal_id, ct.CONTACTS, EMAIL_PROP, normalize_email(email)
        )
        contact = _locked_contact(conn, portal_id, by_email)
        if contact is not None:
            return contact
    token = form.user_token
    if not token:
        return None
    holder = unique_store.find_unique(conn, portal_id, ct.CONTACTS, TOKEN_PROP, token)
    if holder is None and not email:
        # A contact given this token through the v1 or v3 API, not a form.
        found = obj_store.ids_with_value(conn, portal_id, ct.CONTACTS, TOKEN_PROP, token)
        holder = found[0] if found else None
    contact = _locked_contact(conn, portal_id, holder)
    if contact is not None and (not email or not contact.props.get(EMAIL_PROP)):
        return contact
    return None


def _contact_for_token(
    conn: Connection, portal_id: int, token: str, props: dict[str, str], change: Change
) -> ObjectRow:
    """A new contact holding this user token, or (losing a race) the winner's, locked.

    The ``unique_values`` key decides, as for emails in ``contact_for``.
    """
    new = obj_store.insert(conn, portal_id, ct.CONTACTS, props, change)
    holder = unique_store.claim_unique(conn, portal_id, ct.CONTACTS, TOKEN_PROP, token, new.id)
    if holder == new.id:
        return new
    obj_store.discard(conn, new)
    contact = _locked_contact(conn, portal_id, holder)
    if contact is None:
        raise Conflict(f"the contact holding user token {token} is gone; try again")
    obj_store.update_props(conn, contact, props, change)
    return contact


def _remember_token(conn: Connection, contact: ObjectRow, token: str | None) -> None:
    """Index the user token of a form post, unless a live contact already holds it."""
    if not token:
        return
    portal_id = contact.portal_id
    holder = unique_store.find_unique(conn, portal_id, ct.CONTACTS, TOKEN_PROP, token)
    if holder == contact.id:
        return
    if holder is not None:
        if obj_store.get(conn, portal_id, ct.CONTACTS, holder) is not None:
            return
        unique_store.release_unique(conn, portal_id, ct.CONTACTS, TOKEN_PROP, holder)
    unique_store.claim_unique(conn, portal_id, ct.CONTACTS, TOKEN_PROP, token, contact.id)


def person(conn: Connection, portal_id: int, form: FormValues, change: Change) -> ObjectRow:
    """The contact of a submission, found or created, updated with its values, locked.

    Holding this row lock, the transaction alone decides whether the person
    already has a lead: concurrent submissions for one person serialize here.
    """
    _, props = lead_service.split_props(form.values)
    contact = match_contact(conn, portal_id, form)
    if contact is not None:
        email = props.get(EMAIL_PROP)
        if email and unique_store.set_unique(conn, contact, EMAIL_PROP, normalize_email(email)):
            raise Conflict(f"another contact already has the email {email}")
        obj_store.update_props(conn, contact, props, change, touch=False)
    elif form.email:
        contact = lead_service.contact_for(conn, portal_id, props, change)
    elif form.user_token:
        contact = _contact_for_token(conn, portal_id, form.user_token, props, change)
    else:
        contact = obj_store.insert(conn, portal_id, ct.CONTACTS, props, change)
    _remember_token(conn, contact, form.user_token)
    return contact


def process(conn: Connection, sub: Submission, now: int) -> Outcome:
    """Apply one submission: find or create the lead, update it, add its conversion event."""
    portal_id = sub.portal_id
    done_for = event_store.lead_for_event(conn, portal_id, sub.guid)
    if done_for is not None:
        return Outcome(sub.guid, done_for, False)
    form = interpret(sub.fields)
    change = Change(now, SOURCE_TYPE, sub.form_guid)
    contact = person(conn, portal_id, form, change)
    lead_id = lead_service.lead_of_contact(conn, portal_id, contact.id)
    lead = obj_store.get(conn, portal_id, ct.LEADS, lead_id, for_update=True) if lead_id else None
    created = lead is None
    if lead is None:
        lead = lead_service.create(conn, portal_id, form.values, change, contact=contact).lead
    if form.closed_at is not None:
        closing = close_changes(conn, lead, form.closed_at, now)
        obj_store.update_props(conn, lead, closing, change, touch=False)
    lead_service.add_conversion_event(conn, lead, conversion_event(sub, form), change)
    if created:
        url = form_store.get_callback_url(conn, portal_id)
        if url:
            callback_store.add_callback(conn, portal_id, lead.id, url, now)
    return Outcome(sub.guid, lead.id, created)


def _is_conflict(exc: Exception) -> bool:
    """A clash with a concurrent transaction, worth retrying at once."""
    if isinstance(exc, (sa_exc.IntegrityError, Conflict)):
        return True
    text = str(exc).lower()
    return isinstance(exc, sa_exc.OperationalError) and (
        "deadlock" in text or "could not serialize" in text
    )


def _person_key(sub: Submission) -> tuple[str, str]:
    """The person a submission is from, as a sort key.

    A batch is one transaction that keeps the row lock of every contact it
    touched until it commits. Batches of different workers that share people
    take those locks in one global order (by email, then user token), so
    they wait for each other instead of deadlocking.
    """
    try:
        form = interpret(sub.fields)
    except Exception:  # noqa: BLE001 - a bad submission fails later, with its error recorded
        return ("", "")
    return (normalize_email(form.email) if form.email else "", form.user_token or "")


def process_claimed(
    conn: Connection, ids: list[int], worker: str, policy: Policy
) -> list[Outcome]:
    """Process claimed submissions and mark each done, all in the caller's transaction."""
    now = now_ms()
    outcomes: list[Outcome] = []
    locked = queue_store.lock_submissions(conn, ids)
    # Skip what is done already, or whose lease ran out and another worker has.
    ours = [
        sub for sub in locked
        if sub.status == queue_store.PROCESSING and sub.claimed_by == worker
    ]
    # New people first, all at once; the rest one by one.
    leads = fresh.create(conn, fresh.select(conn, ours), now) if BATCH_NEW_PEOPLE else {}
    for sub in ours:
        if sub.id in leads:
            outcomes.append(Outcome(sub.guid, leads[sub.id], True))
    for sub in sorted((s for s in ours if s.id not in leads), key=_person_key):
        error: Exception | None = None
        conflict = False
        for _ in range(IN_PLACE_TRIES):
            savepoint = conn.begin_nested()
            try:
                outcome = process(conn, sub, now)
            except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row
                savepoint.rollback()
                error, conflict = exc, _is_conflict(exc)
                if conflict:
                    continue
                if is_unavailable(exc):
                    raise  # the store went away: nothing of the batch commits; it is claimed again
                break
            savepoint.commit()
            queue_store.mark_done(conn, sub.id, outcome.lead_id, now)
            outcomes.append(outcome)
            error = None
            break
        if error is not None:
            _record_failure(conn, sub, error, conflict, policy, now)
    return outcomes


def _record_failure(
    conn: Connection, sub: Submission, error: Exception, conflict: bool, policy: Policy, now: int
) -> None:
    message = f"{type(error).__name__}: {error}".strip()
    if conflict and sub.conflicts < policy.max_conflicts:
        # Contention is not the submission's fault: try again soon, attempt not spent.
        queue_store.release_for_retry(
            conn, submissions, sub.id, message, retry_at=now + 100, refund_attempt=True
        )
        return
    log.warning("submission %s failed (attempt %d): %s", sub.guid, sub.attempts, message)
    out_of_attempts = sub.attempts >= policy.max_attempts
    retry_at = None if out_of_attempts else now + policy.retry_delay_ms(sub.attempts)
    queue_store.release_for_retry(conn, submissions, sub.id, message, retry_at=retry_at)
