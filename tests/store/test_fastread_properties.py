"""The v3 point read by name is answered directly, and as the ordinary face answers it.

``crm/fastread.py`` serves ``GET /crm/v3/objects/{type}/{id}`` with
``properties=`` and ``archived=false`` from the object's row and, for names
that are not HubSpot's own, the stored definitions. These tests call it on a
real store and compare with the ordinary view and render; the end-to-end
tests compare the bytes over HTTP.
"""

from __future__ import annotations

import orjson
import pytest

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.crm import fastread, properties, render
from leadhub.crm import objects as svc
from leadhub.crm.objects import Want
from leadhub.store import Database
from leadhub.store.objects import Change

CHANGE = Change(1_700_000_000_000, "API", "test")


@pytest.mark.parametrize(("params", "names"), [
    ([], ()),
    ([("archived", "false")], ()),
    ([("archived", "False")], ()),
    ([("archived", "")], ()),
    ([("properties", "a,b"), ("properties", " c ,a,,")], ("a", "b", "c")),
    ([("properties", "")], ()),
    ([("archived", "0"), ("properties", "x")], ("x",)),
])
def test_asked_names_are_those_of_the_ordinary_parser(params: list, names: tuple) -> None:
    assert fastread.asked(params) == names


@pytest.mark.parametrize("params", [
    [("archived", "true")],
    [("archived", "nope")],
    [("archived", "false"), ("archived", "false")],
    [("propertiesWithHistory", "email")],
    [("associations", "contacts")],
    [("idProperty", "email")],
    [("unknown", "1")],
])
def test_other_parameters_are_declined(params: list) -> None:
    assert fastread.asked(params) is None


def test_read_by_name_is_the_ordinary_view(db: Database) -> None:
    if not db.fast_path:
        pytest.skip("the fast way reads a SQLite file")

    def fill(conn):  # type: ignore[no-untyped-def]
        pid = portals.create_portal(conn, "named reads").id
        for name in ("favorite_color", "gone_prop"):
            properties.create_property(conn, pid, ct.CONTACTS, {
                "name": name, "label": name, "type": "string", "fieldType": "text",
                "groupName": "contactinformation"}, 1)
        made = svc.create_object(conn, pid, ct.CONTACTS, {"properties": {
            "email": "fast@example.com", "favorite_color": "red", "gone_prop": "x"}}, CHANGE)
        properties.archive_property(conn, pid, ct.CONTACTS, "gone_prop", 2)
        return pid, made.row.id

    pid, oid = db.write_call(fill)
    for names in (("email",), ("favorite_color", "gone_prop", "lastname", "hs_object_id"),
                  ("nope",), ("createdate", "email", "createdate")):
        fast = fastread.read(db, pid, ct.CONTACTS, oid, [("properties", ",".join(names))])
        assert fast is not None, names
        view = db.read_call(svc.get_object, pid, ct.CONTACTS, str(oid), Want(list(names), [], []))
        assert fast == orjson.dumps(render.obj(view)), names
    assert fastread.read(db, pid, ct.CONTACTS, oid + 1000, [("properties", "email")]) is None
    assert fastread.read(db, pid + 1, ct.CONTACTS, oid, [("properties", "email")]) is None
