"""The v1 lead's wire shape: exactly the field set of HubSpot's example lead."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from leadhub.leads import fields as F
from leadhub.leads.convert import to_v1
from leadhub.leads.service import PUBLIC_TOKEN_PROP, LeadView
from leadhub.store.events import CUSTOMER, DELETE

# Per group of fields: (name, whether the lead holds it, property, the field when its
# value needs converting; None for text, whose v1 value is the stored text or "").
_Plan = tuple[tuple[str, bool, str, "F.Field | None"], ...]
_NO_PROPS: dict[str, str] = {}
# A stored document (leads/documents.py) marks where each link's base URL goes.
LINK_KEYS = (b'"leadJsonLink":"', b'"leadLink":"', b'"publicLeadLink":"')
# Where the base URL goes in a document: a byte no JSON text from orjson holds.
BASE_MARK = b"\x00"


def _plan(fields: tuple[F.Field, ...]) -> _Plan:
    return tuple((f.name, f.owner == "lead", f.prop, None if f.kind == "str" else f)
                 for f in fields)


_FIELDS, _ANALYTICS, _CRM = _plan(F.FIELDS), _plan(F.ANALYTICS_FIELDS), _plan(F.CRM_FIELDS)


def _values(plan: _Plan, lead: dict[str, str], contact: dict[str, str]) -> dict[str, Any]:
    """``to_v1`` of each field's stored value (the lead's or the contact's property)."""
    out: dict[str, Any] = {}
    for name, on_lead, prop, field in plan:
        stored = (lead if on_lead else contact).get(prop)
        out[name] = (stored or "") if field is None else to_v1(field, stored)
    return out


def render(view: LeadView, base_url: str) -> dict[str, Any]:
    """A LeadView as v1 lead JSON (a dict; keys are sorted when serialized)."""
    lead = view.lead
    guid = view.guid
    portal_id = lead.portal_id
    props = lead.props
    contact = view.contact.props if view.contact is not None else _NO_PROPS
    out = _values(_FIELDS, props, contact)
    source_id = out["sourceId"]
    out.update(
        guid=guid,
        id=guid,
        leadId=lead.id,
        portalId=portal_id,
        insertedAt=lead.created_at,
        lastModifiedAt=lead.updated_at,
        isDeleted=lead.archived,
        isCustomer=bool(out["closedAt"]),
        foundVia=F.found_via(source_id),
        fullFoundViaString=F.full_found_via(
            source_id, out["sourceValue1"], out["sourceValue2"]
        ),
        leadJsonLink=f"{base_url}/leads/v1/lead/{guid}",
        leadLink=f"{base_url}/leads/app/lead?portalId={portal_id}&guid={guid}",
        publicLeadLink=(
            f"{base_url}/leads/public/leadDetails?portalId={portal_id}"
            f"&leadToken={quote(props.get(PUBLIC_TOKEN_PROP, ''), safe='')}"
        ),
    )
    analytics = _values(_ANALYTICS, props, contact)
    analytics.update(
        id=guid, leadGuid=guid, leadId=lead.id, portalId=portal_id, userToken=out["userToken"]
    )
    out["analyticsDetails"] = analytics
    crm = _values(_CRM, props, contact)
    crm["id"] = guid
    out["crmDetails"] = crm
    out["leadConversionEvents"] = (
        [_event(e, guid, portal_id) for e in view.events] if view.events is not None else []
    )
    out["leadCustomerStatusModifyLogs"] = [_log(x) for x in view.logs if x.kind == CUSTOMER]
    out["leadDeleteLogs"] = [_log(x) for x in view.logs if x.kind == DELETE]
    return out


def _event(event: Any, lead_guid: str, portal_id: int) -> dict[str, Any]:
    common = {
        "convertDate": event.convert_date,
        "formGuid": event.form_guid,
        "formId": event.form_id,
        "formName": event.form_name,
    }
    values = [
        {
            **common,
            "conversionGuid": event.guid,
            "fieldLabel": f.get("fieldLabel", ""),
            "fieldName": f.get("fieldName", ""),
            "fieldValue": f.get("fieldValue", ""),
            "id": f.get("id", 0),
            "leadGuid": lead_guid,
            "portalId": portal_id,
        }
        for f in event.fields
    ]
    return {
        **common,
        "formSubmissionValues": values,
        "guid": event.guid,
        "id": event.guid,
        "leadGuid": lead_guid,
        "pageName": event.page_name,
        "pageType": event.page_type,
        "pageUrl": event.page_url,
        "portalId": portal_id,
    }


def _log(log: Any) -> dict[str, Any]:
    return {"id": log.id, "insertedAt": log.inserted_at, "previousState": log.previous_state}


def to_document(view: LeadView) -> bytes:
    """A lead's v1 JSON, keys sorted, with BASE_MARK where each link's base URL goes."""
    doc = orjson.dumps(render(view, ""), option=orjson.OPT_SORT_KEYS)
    for key in LINK_KEYS:
        doc = doc.replace(key + b"/", key + BASE_MARK + b"/", 1)
    return doc
