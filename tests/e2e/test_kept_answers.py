"""A server's kept answers never outlive a write, whichever process made it.

A server keeps the answers of its point reads until any connection commits
to the store (store/kept.py ``KeptAnswers``): on SQLite while its
``data_version`` stays, on PostgreSQL while its snapshot does. Two real
servers share one store here (one SQLite file, or one PostgreSQL database):
server A reads a lead again and again in every way the lanes answer from
memory, and each change, made through server B (another process) or through
A itself, must show in A's very next answer.
(tests/store/test_loop_snapshot.py and tests/store/test_pg_kept_answers.py:
plain connections' commits.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from leadhub.store import Database
from tests.conftest import Server, make_portal, start_server
from tests.factories import make_lead


@pytest.fixture(scope="module")
def pair(
    db: Database, store_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Two servers on one store."""
    log_dir: Path = tmp_path_factory.mktemp("pair")
    a = start_server(store_url, log_dir)
    b = start_server(store_url, log_dir)
    yield a, b
    a.stop()
    b.stop()


def _reads(guid: str, email: str, lead_id: int) -> dict[str, str]:
    return {
        "by guid": f"/leads/v1/lead/{guid}",
        "by email": f"/leads/v1/lead?email={quote(email)}",
        "as hubspot3": f"/leads/v1/list?guids[0]={guid}",
        "v3": f"/crm/v3/objects/leads/{lead_id}",
        "v3 with properties": f"/crm/v3/objects/leads/{lead_id}"
                              "?properties=hs_lead_name&properties=hs_lead_type&archived=false",
    }


def _seen(http: httpx.Client, reads: dict[str, str]) -> dict[str, str]:
    """What each read of A answers (three times each: the later ones from memory)."""
    seen = {}
    for name, path in reads.items():
        bodies = [http.get(path) for _ in range(3)]
        assert all(r.status_code == 200 for r in bodies), (name, bodies[-1].text)
        assert len({r.content for r in bodies}) == 1, name
        got = bodies[-1].json()
        seen[name] = (
            got["properties"]["hs_lead_name"] if name.startswith("v3")
            else (got[0] if isinstance(got, list) else got["leads"][0])["firstName"]
        )
    return seen


def test_every_change_shows_in_the_next_answer(db: Database, pair: tuple[Server, Server]
                                               ) -> None:
    a, b = pair
    p = make_portal(db, a, "Kept answers")
    email = "kept-answers@example.com"
    made = make_lead(db, p.id, firstName="Ada", email=email)
    with a.client(p.token) as ha, b.client(p.token) as hb:
        lead = f"/leads/v1/lead/{made.guid}"
        v3 = f"/crm/v3/objects/leads/{made.lead_id}"
        reads = _reads(made.guid, email, made.lead_id)
        first = _seen(ha, reads)
        assert first["by guid"] == "Ada"

        # Through the other server: another process.
        assert hb.put(lead, json={"guid": made.guid, "firstName": "Bea"}).status_code == 200
        assert hb.patch(v3, json={"properties": {"hs_lead_name": "Lead Bea"}}).status_code == 200
        assert _seen(ha, reads) == {
            "by guid": "Bea", "by email": "Bea", "as hubspot3": "Bea",
            "v3": "Lead Bea", "v3 with properties": "Lead Bea",
        }

        # Through this server.
        assert ha.put(lead, json={"guid": made.guid, "firstName": "Cy"}).status_code == 200
        assert ha.patch(v3, json={"properties": {"hs_lead_name": "Lead Cy"}}).status_code == 200
        assert _seen(ha, reads) == {
            "by guid": "Cy", "by email": "Cy", "as hubspot3": "Cy",
            "v3": "Lead Cy", "v3 with properties": "Lead Cy",
        }

        # Deleted through the other server: gone from the list of one guid and from v3.
        assert hb.put(lead, json={"guid": made.guid, "isDeleted": True}).status_code == 200
        assert ha.get(reads["v3"]).status_code == 404
        assert ha.get(reads["as hubspot3"]).json() == []
        assert ha.get(reads["by guid"]).json()[0]["isDeleted"] is True
