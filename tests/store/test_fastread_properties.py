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


@pytest.mark.parametrize(("params", "names", "id_property"), [
    ([], (), None),
    ([("archived", "false")], (), None),
    ([("archived", "False")], (), None),
    ([("archived", "")], (), None),
    ([("properties", "a,b"), ("properties", " c ,a,,")], ("a", "b", "c"), None),
    ([("properties", "")], (), None),
    ([("archived", "0"), ("properties", "x")], ("x",), None),
    ([("idProperty", "email"), ("properties", "email")], ("email",), "email"),
    ([("idProperty", "")], (), ""),
])
def test_asked_names_are_those_of_the_ordinary_parser(
    params: list, names: tuple, id_property: str | None
) -> None:
    assert fastread.asked(tuple(params)) == (names, id_property)


@pytest.mark.parametrize("params", [
    [("archived", "true")],
    [("archived", "nope")],
    [("archived", "false"), ("archived", "false")],
    [("propertiesWithHistory", "email")],
    [("associations", "contacts")],
    [("idProperty", "email"), ("idProperty", "email")],
    [("unknown", "1")],
])
def test_other_parameters_are_declined(params: list) -> None:
    assert fastread.asked(tuple(params)) is None


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
        fast = fastread.read(db, pid, ct.CONTACTS, str(oid), [("properties", ",".join(names))])
        assert fast is not None, names
        view = db.read_call(svc.get_object, pid, ct.CONTACTS, str(oid), Want(list(names), [], []))
        assert fast == orjson.dumps(render.obj(view)), names
    by_email = [("idProperty", "email"), ("properties", "favorite_color,email")]
    fast = fastread.read(db, pid, ct.CONTACTS, " FAST@example.com", by_email)
    view = db.read_call(svc.get_object, pid, ct.CONTACTS, " FAST@example.com",
                        Want(["favorite_color", "email"], [], []), id_property="email")
    assert fast is not None and fast == orjson.dumps(render.obj(view))
    assert fastread.read(db, pid, ct.CONTACTS, str(oid + 1000), [("properties", "email")]) is None
    assert fastread.read(db, pid + 1, ct.CONTACTS, str(oid), [("properties", "email")]) is None
    assert fastread.read(db, pid, ct.CONTACTS, "nobody@example.com", by_email) is None
    assert fastread.read(db, pid, ct.CONTACTS, "fast@example.com",
                         [("idProperty", "favorite_color")]) is None  # not HubSpot's own
