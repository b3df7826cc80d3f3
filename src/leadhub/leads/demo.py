"""The demo portal of HubSpot's documents: portal 62515, its token and sample lead."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from leadhub import portals
from leadhub.crm_types import LEADS
from leadhub.leads import service
from leadhub.leads.service import PUBLIC_TOKEN_PROP
from leadhub.store import events as event_store
from leadhub.store import objects as obj_store
from leadhub.store import portals as portal_store
from leadhub.store.events import ConversionEvent
from leadhub.store.objects import Change

DEMO_PORTAL_ID = 62515
DEMO_TOKEN = "demooooo-oooo-oooo-oooo-oooooooooooo"
SAMPLE_GUID = "8a41f2f22906b93a012906b9438f0008"
SAMPLE_LEAD_ID = 830918
INSERTED_AT = 1275718091660
MODIFIED_AT = 1320349394338
MESSAGE = (
    "This is a sample lead, but if you want help getting more leads, "
    "give us a call at 1-888-HUBSPOT, ext. #1"
)

SAMPLE_VALUES = {
    "firstName": "HubSpot",
    "lastName": "Internet Marketing Specialists",
    "email": "info@hubspot.com",
    "message": MESSAGE,
    "ipAddress": "184.73.15.169",
    "userToken": "13067f6bfbd542098793fda0542a93f9",
    "eligibleForEmail": True,
    "emailOptOut": False,
    "emailBounced": False,
    "firstReferrer": "http://www.hubspot.com/",
    "firstURL": "http://demo.hubapi.com/",
    "firstVisitSetAt": INSERTED_AT,
    "sourceId": 2,
    "sourceValue1": "hubspot.com",
    "sourceValueModifiedAt": MODIFIED_AT,
    "closedAt": 1272997000000,
    "imported": False,
    "leadNurturingActive": True,
    "leadNurturingCampaignId": 77244,
    "rawScore": 140,
    "score": 99.96,
    "allViewsImported": True,
    "countsModifiedAt": 1279853227000,
    "firstVisitAt": 1275710855000,
    "lastPageViewAt": 1275710855000,
    "lastVisitAt": 1275710855000,
    "pageViewCount": 2,
    "visitCount": 2,
    "closeProbability": 1,
    "crmType": 1,
    "status": "Open",
}

FORM_GUID = "fcbd0c1834a14534adfc1f0197801048"
SAMPLE_EVENT = ConversionEvent(
    guid="15e857315cce44448c8abd9fb33aa651",
    lead_id=0,
    convert_date=1275718058000,
    form_guid=FORM_GUID,
    form_id=25349,
    form_name="Contact Us",
    page_name="Landing Pages",
    page_type="Form",
    page_url="http://demohubapi.web6.hubspot.com/landing-pages/Default.aspx?RewriteStatus=1",
    fields=[
        {"id": 767892282, "fieldName": "FirstName", "fieldValue": "HubSpot",
         "fieldLabel": "First Name"},
        {"id": 767892292, "fieldName": "LastName",
         "fieldValue": "Internet Marketing Specialists", "fieldLabel": "Last Name"},
        {"id": 767892312, "fieldName": "Email", "fieldValue": "info@hubspot.com",
         "fieldLabel": "Email (we will keep your email completely private)"},
        {"id": 767892332, "fieldName": "Message", "fieldValue": MESSAGE,
         "fieldLabel": "Message"},
    ],
)


def ensure_demo(conn: Connection) -> bool:
    """Create the demo portal, token and sample lead unless present; True if created."""
    if portal_store.get_portal(conn, DEMO_PORTAL_ID) is None:
        portals.create_portal(conn, "HubSpot demo portal", DEMO_PORTAL_ID)
    if DEMO_TOKEN not in {t.token for t in portal_store.list_tokens(conn, DEMO_PORTAL_ID)}:
        portals.create_token(conn, DEMO_PORTAL_ID, DEMO_TOKEN, name="demo")
    if service.lead_id_for_guid(conn, DEMO_PORTAL_ID, SAMPLE_GUID) is not None:
        return False
    created = Change(INSERTED_AT, "IMPORT", "demo")
    view = service.create(
        conn,
        DEMO_PORTAL_ID,
        SAMPLE_VALUES,
        created,
        guid=SAMPLE_GUID,
        lead_id=SAMPLE_LEAD_ID,
        extra_lead_props={PUBLIC_TOKEN_PROP: "KmAEjOwsiFAa0h1fn6ce+w=="},
    )
    event = ConversionEvent(**{**SAMPLE_EVENT.__dict__, "fields": list(SAMPLE_EVENT.fields)})
    service.add_conversion_event(conn, view.lead, event, created)
    event_store.add_log(
        conn, DEMO_PORTAL_ID, view.lead.id, event_store.CUSTOMER, 1303305845158, False,
        log_id=4135752,
    )
    lead = obj_store.get(conn, DEMO_PORTAL_ID, LEADS, view.lead.id)
    assert lead is not None
    obj_store.touch(conn, lead, MODIFIED_AT)
    return True
