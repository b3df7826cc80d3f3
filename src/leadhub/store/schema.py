"""Table definitions used by the repositories (migrations create them).

Every row belongs to a portal; every query in the store filters by
``portal_id``. CRM objects of all types (leads ``0-136``, contacts ``0-1``,
companies ``0-2``) live in one ``objects`` table with their property values
as a JSON document of strings, the way HubSpot's v3 API returns them. The
legacy v1 lead is a view over a lead object, its primary contact, its
conversion events and its logs: there is no second copy of lead data.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

# SQLite wants INTEGER PRIMARY KEY for a rowid alias; PostgreSQL gets BIGINT.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")

portals = sa.Table(
    "portals",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("settings", Json, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("token", sa.Text, primary_key=True),
    sa.Column("portal_id", sa.BigInteger, sa.ForeignKey("portals.id"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

objects = sa.Table(
    "objects",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
    sa.Column("object_type", sa.Text, nullable=False),
    sa.Column("props", Json, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False),
    sa.Column("archived_at", sa.BigInteger, nullable=True),
)

unique_values = sa.Table(
    "unique_values",
    metadata,
    sa.Column("portal_id", sa.BigInteger, primary_key=True),
    sa.Column("object_type", sa.Text, primary_key=True),
    sa.Column("property", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
    sa.Column("object_id", sa.BigInteger, nullable=False),
)
# Which values an object holds: release_unique deletes by it (migration 0010).
sa.Index(
    "ix_unique_values_holder", unique_values.c.portal_id, unique_values.c.object_type,
    unique_values.c.property, unique_values.c.object_id,
)

property_history = sa.Table(
    "property_history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
    sa.Column("object_id", sa.BigInteger, nullable=False),
    sa.Column("property", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=True),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("source_type", sa.Text, nullable=False),
    sa.Column("source_id", sa.Text, nullable=True),
)

associations = sa.Table(
    "associations",
    metadata,
    sa.Column("portal_id", sa.BigInteger, primary_key=True),
    sa.Column("from_id", sa.BigInteger, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("to_id", sa.BigInteger, primary_key=True),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("from_type", sa.Text, nullable=False),
    sa.Column("to_type", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

conversion_events = sa.Table(
    "conversion_events",
    metadata,
    sa.Column("guid", sa.Text, primary_key=True),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("convert_date", sa.BigInteger, nullable=False),
    sa.Column("form_guid", sa.Text, nullable=False),
    sa.Column("form_id", sa.BigInteger, nullable=False),
    sa.Column("form_name", sa.Text, nullable=False),
    sa.Column("page_name", sa.Text, nullable=False),
    sa.Column("page_type", sa.Text, nullable=False),
    sa.Column("page_url", sa.Text, nullable=False),
    # [{"id": int, "fieldName": str, "fieldValue": str, "fieldLabel": str}, ...]
    sa.Column("fields", Json, nullable=False),
)

lead_logs = sa.Table(
    "lead_logs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    # "customer" (leadCustomerStatusModifyLogs) or "delete" (leadDeleteLogs)
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("inserted_at", sa.BigInteger, nullable=False),
    sa.Column("previous_state", sa.Boolean, nullable=False),
)

# Custom property definitions, and overrides of default ones (e.g. added
# options), as HubSpot's property JSON; defaults themselves live in code.
crm_property_defs = sa.Table(
    "crm_property_defs",
    metadata,
    sa.Column("portal_id", sa.BigInteger, primary_key=True),
    sa.Column("object_type", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("definition", Json, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False),
    sa.Column("archived_at", sa.BigInteger, nullable=True),
)

crm_property_groups = sa.Table(
    "crm_property_groups",
    metadata,
    sa.Column("portal_id", sa.BigInteger, primary_key=True),
    sa.Column("object_type", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("display_order", sa.Integer, nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False),
)

# ---------------------------------------------------------------- form insert

# A portal's named forms (the ``FormName`` of ``POST /?app=leaddirector``).
forms = sa.Table(
    "forms",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    # lower-cased name: form names are matched case-insensitively
    sa.Column("name_key", sa.Text, nullable=False),
    sa.Column("guid", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("portal_id", "name_key", name="uq_forms_portal_name"),
    sqlite_autoincrement=True,
)

# Host names that identify a portal on a form post (``Host:`` header).
portal_hosts = sa.Table(
    "portal_hosts",
    metadata,
    sa.Column("host", sa.Text, primary_key=True),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
)

# The durable queue of accepted form posts. ``status`` is pending, processing,
# done or failed; ``available_at`` is when a pending row may be claimed, or
# when a processing row's lease runs out.
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("guid", sa.Text, nullable=False, unique=True),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
    sa.Column("form_id", sa.BigInteger, nullable=False),
    sa.Column("form_name", sa.Text, nullable=False),
    sa.Column("form_guid", sa.Text, nullable=False),
    # [[name, value], ...] as posted, in order
    sa.Column("fields", Json, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    # clashes with concurrent transactions retried without spending an attempt
    sa.Column("conflicts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("available_at", sa.BigInteger, nullable=False),
    sa.Column("claimed_by", sa.Text, nullable=True),
    sa.Column("received_at", sa.BigInteger, nullable=False),
    sa.Column("processed_at", sa.BigInteger, nullable=True),
    sa.Column("lead_id", sa.BigInteger, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sqlite_autoincrement=True,
)

# A portal's lead callback URL (``/leads/v1/callback-url``).
callback_urls = sa.Table(
    "callback_urls",
    metadata,
    sa.Column("portal_id", sa.BigInteger, primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

# The outbox of lead callbacks: written with the new lead, delivered and
# retried by its own loop. Same status / available_at / lease scheme as
# ``submissions``.
callbacks = sa.Table(
    "callbacks",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("available_at", sa.BigInteger, nullable=False),
    sa.Column("claimed_by", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("delivered_at", sa.BigInteger, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sqlite_autoincrement=True,
)

# Only rows that can still be claimed are indexed for claiming (a query must
# state this very condition for the index to serve it).
CLAIMABLE = "status IN ('pending', 'processing')"
sa.Index(
    "ix_submissions_claim", submissions.c.available_at, submissions.c.id,
    sqlite_where=sa.text(CLAIMABLE), postgresql_where=sa.text(CLAIMABLE),
)
sa.Index("ix_submissions_status", submissions.c.status, submissions.c.received_at)
sa.Index(
    "ix_callbacks_claim", callbacks.c.available_at, callbacks.c.id,
    sqlite_where=sa.text(CLAIMABLE), postgresql_where=sa.text(CLAIMABLE),
)

# Each lead's rendered v1 JSON, a cache kept correct by triggers (migration 0005).
lead_documents = sa.Table(
    "lead_documents",
    metadata,
    sa.Column("lead_id", BigId, primary_key=True, autoincrement=False),
    sa.Column("portal_id", sa.BigInteger, nullable=False),
    sa.Column("guid", sa.Text, nullable=False),
    sa.Column("doc", sa.LargeBinary, nullable=False),
    # The email that finds this lead alone (migration 0011), else NULL.
    sa.Column("email", sa.Text, nullable=True),
    # The lead is deleted (its ``objects.archived``; migration 0013).
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Custom association labels (USER_DEFINED types), one row per direction.
association_labels = sa.Table(
    "association_labels",
    metadata,
    sa.Column("portal_id", sa.BigInteger, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("from_type", sa.Text, nullable=False),
    sa.Column("to_type", sa.Text, nullable=False),
    sa.Column("reverse_type_id", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

# User-enforced association limits: at most max_to_object_ids targets of one
# type per source object.
association_limits = sa.Table(
    "association_limits",
    metadata,
    sa.Column("portal_id", sa.BigInteger, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("max_to_object_ids", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)
