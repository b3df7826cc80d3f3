"""A lead's rows as one JSON array, from a function, on PostgreSQL.

The statements that read stored documents (store/leaddocs.py) also read,
in the same statement, the rows of the leads whose reader gets no
document: a scalar subquery of three joins and two aggregates under
``CASE``, run only where needed, but planned with every statement. The
point reads by guid and email are prepared and planned once; a v1 list
page is not (its plan depends on its values: a search term's frequency,
a window's width), and planning that subquery cost each page about
0.2 ms of the server's CPU, more than the whole of a one-week window's
page took to run. ``leadhub_lead_rows(lead, portal)`` holds the same
subquery for the pages (``leadrows.pg_lead_called``); the statement plans
a function call, and PL/pgSQL plans the subquery once per connection,
only once a lead without a document is read. The function is ``STABLE``:
it reads with the calling statement's snapshot, so a page is still one
snapshot. The point reads keep the subquery (``leadrows.pg_lead_when``):
planned once, it runs for about 15 µs less per lead than a call.

The array's layout is the one ``leadrows.pg_lead_row`` reads (the lead's
columns, its primary contact's, its conversion events, its log entries)
and ``pg_lead_when`` builds; a change of either needs a migration that
replaces this function.

SQLite has no functions of this kind and reads a lead's rows itself.

Revision ID: 0015_lead_rows_function
Revises: 0014_lead_document_versions
Create Date: 2026-12-06
"""

from alembic import op

revision = "0015_lead_rows_function"
down_revision = "0014_lead_document_versions"
branch_labels = None
depends_on = None

# 578: lead -> primary contact (crm_types); the lowest contact id among the links, as
# service.load takes it.
_FUNCTION = """
CREATE FUNCTION leadhub_lead_rows(lead bigint, portal bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT json_build_array(
            l.id, l.portal_id, l.object_type, l.props, l.created_at, l.updated_at,
            l.archived, l.archived_at,
            c.id, c.portal_id, c.object_type, c.props, c.created_at, c.updated_at,
            c.archived, c.archived_at,
            (SELECT json_agg(json_build_array(
                        e.guid, e.lead_id, e.convert_date, e.form_guid, e.form_id,
                        e.form_name, e.page_name, e.page_type, e.page_url, e.fields)
                    ORDER BY e.convert_date, e.guid)
             FROM conversion_events e WHERE e.portal_id = l.portal_id AND e.lead_id = l.id),
            (SELECT json_agg(json_build_array(
                        g.id, g.lead_id, g.kind, g.inserted_at, g.previous_state)
                    ORDER BY g.inserted_at, g.id)
             FROM lead_logs g WHERE g.portal_id = l.portal_id AND g.lead_id = l.id))
        FROM objects l
        LEFT JOIN LATERAL (
            SELECT a.to_id FROM associations a
            WHERE a.portal_id = l.portal_id AND a.from_id = l.id AND a.type_id = 578
            ORDER BY a.to_id LIMIT 1) pc ON true
        LEFT JOIN objects c ON c.id = pc.to_id AND c.portal_id = l.portal_id
        WHERE l.id = lead AND l.portal_id = portal);
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP FUNCTION IF EXISTS leadhub_lead_rows(bigint, bigint)")
