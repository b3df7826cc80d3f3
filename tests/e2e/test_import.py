"""``leadhub import``: CSV rows named by v1 fields become leads, de-duplicated by email."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from leadhub.cli import main
from leadhub.store.schema import objects, property_history

HEADER = "guid,insertedAt,firstName,lastName,email,company,sourceId,rawScore,closedAt,emailOptOut"


def _run(server, portal, tmp_path: Path, text: str, *extra: str):
    path = tmp_path / "leads.csv"
    path.write_text(text)
    return CliRunner().invoke(
        main,
        ["import", "--portal", str(portal.id), str(path),
         "--database-url", server.database_url, *extra],
    )


def _lead(portal, **params):
    with portal.client() as c:
        r = c.get("/leads/v1/lead", params=params)
    assert r.status_code == 200, r.text
    return r.json()[0]


def test_rows_become_leads_readable_through_v1(server, portal, tmp_path):
    text = (
        f"{HEADER}\n"
        "aa11bb22cc33dd44ee55ff6677889900,1700000000000,Ada,Lovelace,ada@example.com,"
        "Engines Ltd,2,140,2023-11-20T10:00:00Z,true\n"
        ",,Alan,Turing,alan@example.com,,,,,\n"
    )
    result = _run(server, portal, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert "2 leads created, 0 updated, 0 rejected" in result.output
    with portal.client() as c:
        ada = c.get("/leads/v1/lead/aa11bb22cc33dd44ee55ff6677889900").json()[0]
    assert ada["firstName"] == "Ada" and ada["company"] == "Engines Ltd"
    assert ada["insertedAt"] == 1700000000000
    assert ada["sourceId"] == 2 and ada["foundVia"] == "Referrals"
    assert ada["rawScore"] == 140 and ada["emailOptOut"] is True
    assert ada["closedAt"] == 1700474400000 and ada["isCustomer"] is True
    alan = _lead(portal, email="ALAN@example.com")
    assert alan["lastName"] == "Turing" and len(alan["guid"]) == 32


def test_same_email_updates_the_person_instead_of_duplicating(server, portal, tmp_path, db):
    first = f"{HEADER}\n,,Grace,Hopper,grace@example.com,Navy,,,,\n"
    assert _run(server, portal, tmp_path, first).exit_code == 0
    guid = _lead(portal, email="grace@example.com")["guid"]
    again = (
        f"{HEADER}\n,,Grace,Hopper,Grace@Example.com,Yale,,10,,\n"
        ",,Grace,Hopper,grace@example.com ,,,20,,\n"
    )
    result = _run(server, portal, tmp_path, again)
    assert result.exit_code == 0, result.output
    assert "0 leads created, 2 updated" in result.output
    lead = _lead(portal, email="grace@example.com")
    assert lead["guid"] == guid
    assert lead["company"] == "Yale" and lead["rawScore"] == 20
    with portal.client() as c:
        listed = c.get("/leads/v1/list", params={"search": "hopper"}).json()
    assert [x["guid"] for x in listed] == [guid]


def test_in_file_duplicates_are_one_lead(server, portal, tmp_path):
    text = f"{HEADER}\n,,Kay,One,kay@example.com,A,,,,\n,,Kay,Two,KAY@example.com,,,,,\n"
    result = _run(server, portal, tmp_path, text)
    assert "1 leads created, 1 updated" in result.output
    lead = _lead(portal, email="kay@example.com")
    assert lead["lastName"] == "Two" and lead["company"] == "A"


def test_history_records_source_import(server, portal, tmp_path, db):
    text = f"{HEADER}\n,,Edsger,Dijkstra,ewd@example.com,,,,,\n"
    assert _run(server, portal, tmp_path, text).exit_code == 0
    lead_id = _lead(portal, email="ewd@example.com")["leadId"]
    with db.read() as conn:
        rows = conn.execute(
            sa.select(property_history.c.property, property_history.c.source_type).where(
                property_history.c.portal_id == portal.id
            )
        ).all()
        lead_props = conn.execute(
            sa.select(objects.c.props).where(objects.c.id == lead_id)
        ).scalar_one()
    assert ("firstname", "IMPORT") in rows and ("email", "IMPORT") in rows
    assert ("leadhub_guid", "IMPORT") in rows
    assert {source for _, source in rows} == {"IMPORT"}
    assert lead_props["hs_lead_name"] == "Edsger Dijkstra"


def test_bad_rows_are_rejected_with_line_numbers_and_write_nothing(server, portal, tmp_path):
    text = (
        f"{HEADER}\n"
        ",,Good,Row,good@example.com,,,,,\n"
        ",,Bad,Score,bad1@example.com,,,lots,,\n"
        ",notadate,Bad,Date,bad2@example.com,,,,,\n"
        ",,Bad,Source,bad3@example.com,,9,,,\n"
    )
    result = _run(server, portal, tmp_path, text)
    assert result.exit_code == 1
    assert "1 leads created, 0 updated, 3 rejected" in result.output
    assert "line 3: rawScore" in result.output
    assert "line 4: insertedAt" in result.output
    assert "line 5: sourceId" in result.output
    with portal.client() as c:
        for n in (1, 2, 3):
            r = c.get("/leads/v1/lead", params={"email": f"bad{n}@example.com"})
            assert r.status_code == 404
    assert _lead(portal, email="good@example.com")["firstName"] == "Good"


def test_unknown_column_refuses_the_file(server, portal, tmp_path):
    result = _run(server, portal, tmp_path, "firstName,shoeSize\nAda,38\n")
    assert result.exit_code != 0
    assert "unknown column(s) 'shoeSize'" in result.output
    with portal.client() as c:
        assert c.get("/leads/v1/list").json() == []


def test_unknown_portal_is_an_error(server, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(f"{HEADER}\n,,A,B,ab@example.com,,,,,\n")
    result = CliRunner().invoke(
        main, ["import", "--portal", "987654", str(path), "--database-url", server.database_url]
    )
    assert result.exit_code != 0
    assert "portal 987654 does not exist" in result.output


def test_progress_bar_is_drawn_on_request(server, portal, tmp_path):
    text = f"{HEADER}\n,,Pro,Gress,progress@example.com,,,,,\n"
    result = _run(server, portal, tmp_path, text, "--progress")
    assert result.exit_code == 0
    assert "importing leads.csv" in result.output
    assert "1/1" in result.output


def test_duplicates_across_batches_update_the_first(server, portal, tmp_path, db):
    from leadhub.importcmd import run_import

    path = tmp_path / "batches.csv"
    path.write_text(
        f"{HEADER}\n,,Ann,A,ann@example.com,,,,,\n,,Bob,B,bob@example.com,,,,,\n"
        ",,Ann,Again,ann@example.com,,,,,\n"
    )
    result = run_import(db, portal.id, path, progress=False, batch_rows=1)
    assert (result.created, result.updated, result.rejected) == (2, 1, [])
    assert _lead(portal, email="ann@example.com")["lastName"] == "Again"
    with portal.client() as c:
        assert len(c.get("/leads/v1/list").json()) == 2
