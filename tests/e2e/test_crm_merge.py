"""Merge and GDPR delete of contacts (crm.contacts.basic_api.merge / purge)."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts import PublicGdprDeleteInput, PublicMergeInput
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.objects.leads import SimplePublicObjectInputForCreate as LeadCreate

from tests.e2e.crm_helpers import ApiError, client, primary, release_client_sockets

__all__ = ["release_client_sockets"]


def _contact(hs, **props: str) -> str:
    return hs.crm.contacts.basic_api.create(ContactCreate(properties=props)).id


def _lead(hs, contact_id: str, name: str) -> str:
    return hs.crm.objects.leads.basic_api.create(
        LeadCreate(properties={"hs_lead_name": name}, associations=primary(contact_id))).id


def test_merge_keeps_primary_values_and_takes_the_rest(portal):
    hs = client(portal)
    keep = _contact(hs, email="keep@example.com", firstname="Keep")
    gone = _contact(hs, email="gone@example.com", firstname="Gone", lastname="Surname")
    lead = _lead(hs, gone, "Gone's lead")
    merged = hs.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=keep, object_id_to_merge=gone))
    assert merged.id == keep
    got = hs.crm.contacts.basic_api.get_by_id(
        keep, properties=["email", "firstname", "lastname"], associations=["leads"])
    assert got.properties == {"email": "keep@example.com", "firstname": "Keep",
                              "lastname": "Surname"}
    assert {a.id for a in got.associations["leads"].results} == {lead}
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.basic_api.get_by_id(gone)
    assert info.value.status == 404
    again = _contact(hs, email="gone@example.com")
    assert again not in (keep, gone)


def test_merge_errors(portal):
    hs = client(portal)
    keep = _contact(hs, firstname="A")
    for body in (PublicMergeInput(primary_object_id=keep, object_id_to_merge=keep),
                 PublicMergeInput(primary_object_id=keep, object_id_to_merge="999999")):
        with pytest.raises(ApiError) as info:
            hs.crm.contacts.basic_api.merge(body)
        assert info.value.status in (400, 404)
    assert hs.crm.contacts.basic_api.get_by_id(keep).archived is False


def test_gdpr_delete_by_email_removes_contact_and_orphaned_lead(portal):
    hs = client(portal)
    contact = _contact(hs, email="forget@example.com", firstname="Forget")
    lead = _lead(hs, contact, "Forget me")
    hs.crm.contacts.basic_api.purge(
        PublicGdprDeleteInput(object_id="FORGET@example.com", id_property="email"))
    with pytest.raises(ApiError):
        hs.crm.contacts.basic_api.get_by_id(contact, archived=True)
    assert hs.crm.objects.leads.basic_api.get_by_id(lead, archived=True).archived is True
    assert hs.crm.contacts.basic_api.get_page().results == []
    hs.crm.contacts.basic_api.purge(PublicGdprDeleteInput(object_id="424242"))
