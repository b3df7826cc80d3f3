"""Bad input catalogue for the form post (``POST /?app=leaddirector&FormName=X``).

Every refused post gets a 4xx in the form face's own format (plain text,
``Error: ...``) and stores nothing: the queue, and every other table, is the
same before and after. The field-level cases (missing UserToken/IPAddress,
bad numbers and dates, unknown form, app or portal, NUL in a value, long
values) are in ``tests/ingest/test_form_insert.py::
test_bad_posts_get_clear_errors_and_change_nothing``; these are the rest:
content types, malformed and mis-encoded bodies, odd query parameters, sizes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import make_portal
from tests.ingest.helpers import make_form, submission_guid, wait_for_lead
from tests.reliability.helpers import rss_mb, snapshot

MB = 1 << 20
FORM = "application/x-www-form-urlencoded"
GOOD = b"Email=ada%40example.com&IPAddress=10.0.0.1&UserToken=utk-1&FirstName=Ada"


@dataclass(frozen=True)
class Post:
    """One bad post: the query after ``/?``, the raw body, its content type."""

    id: str
    query: str
    body: bytes = GOOD
    ctype: str | None = FORM
    status: int = 400
    mentions: str = ""


Q = "app=leaddirector&FormName=catalogue&portalId={portal}"
POSTS = [
    # Content types
    Post("text/plain", Q, ctype="text/plain", status=415, mentions=FORM),
    Post("multipart", Q, ctype="multipart/form-data; boundary=x", status=415, mentions=FORM),
    Post("no content type", Q, ctype=None, status=415, mentions="none"),
    Post("form lookalike", Q, ctype=FORM + "x", status=415, mentions=FORM),
    Post("unknown charset", Q, ctype=FORM + "; charset=klingon", status=415,
         mentions="klingon"),
    Post("charset that is no text encoding", Q, ctype=FORM + "; charset=rot13", status=415,
         mentions="rot13"),
    # Malformed and mis-encoded bodies
    Post("empty body", Q, b"", mentions="UserToken is required"),
    Post("only separators", Q, b"&&&===&&", mentions="UserToken is required"),
    Post("JSON in a form body", Q, b'{"Email": "a@b.c", "UserToken": "u"}',
         mentions="UserToken is required"),
    Post("invalid UTF-8 raw", Q, GOOD + b"&Message=caf\xe9", mentions="UTF-8"),
    Post("invalid UTF-8 percent-encoded", Q, GOOD + b"&Message=caf%E9", mentions="UTF-8"),
    Post("invalid UTF-8 in a field name", Q, GOOD + b"&%FF%FE=x", mentions="UTF-8"),
    Post("overlong UTF-8 slash", Q, GOOD + b"&Message=%C0%AF", mentions="UTF-8"),
    Post("lone surrogate as UTF-8", Q, GOOD + b"&Message=%ED%A0%80", mentions="UTF-8"),
    Post("NUL raw", Q, GOOD + b"&Message=a\x00b", mentions="NUL"),
    Post("NUL in a field name", Q, GOOD + b"&Mess%00age=x", mentions="NUL"),
    Post("10,001 fields", Q, GOOD + b"&x=1" * 10_001, mentions="fields"),
    Post("501 fields", Q, GOOD + b"".join(b"&f%d=1" % i for i in range(501)),
         mentions="fields"),
    # Huge and odd values
    Post("1 MB value of an unknown field", Q, GOOD + b"&FavoriteColor=" + b"x" * MB,
         mentions="FavoriteColor is longer"),
    Post("1 MB field name", Q, GOOD + b"&" + b"n" * MB + b"=x", mentions="field name"),
    Post("1 MB UserToken", Q, b"IPAddress=1&UserToken=" + b"u" * MB, mentions="UserToken"),
    Post("NumberEmployees superscript", Q, GOOD + b"&NumberEmployees=%C2%B2",
         mentions="NumberEmployees"),
    Post("NumberEmployees 5,000 digits", Q, GOOD + b"&NumberEmployees=" + b"9" * 5000,
         mentions="NumberEmployees"),
    Post("AnnualRevenue NaN", Q, GOOD + b"&AnnualRevenue=NaN", mentions="AnnualRevenue"),
    Post("CloseDate superscript", Q, GOOD + b"&CloseDate=%C2%B9%C2%B2/01/2020",
         mentions="CloseDate"),
    Post("CloseDate year 0", Q, GOOD + b"&CloseDate=01/01/0000", mentions="CloseDate"),
    # Query parameters
    Post("no app", "FormName=catalogue&portalId={portal}", status=404, mentions="leaddirector"),
    Post("app injection", "app=leaddirector%27%20OR%201=1&FormName=catalogue&portalId={portal}",
         status=404, mentions="leaddirector"),
    Post("no FormName", "app=leaddirector&portalId={portal}", mentions="FormName"),
    Post("FormName blank", "app=leaddirector&FormName=%20%20&portalId={portal}",
         mentions="FormName"),
    Post("FormName NUL", "app=leaddirector&FormName=cata%00logue&portalId={portal}",
         mentions="NUL"),
    Post("FormName injection", "app=leaddirector&FormName=" + quote("x' OR '1'='1")
         + "&portalId={portal}", status=404, mentions="not configured"),
    Post("FormName 4,000 characters", "app=leaddirector&FormName=" + "f" * 4000
         + "&portalId={portal}", mentions="FormName"),
    Post("FormName invalid UTF-8", "app=leaddirector&FormName=%FF%FE&portalId={portal}",
         status=404, mentions="not configured"),
    Post("portalId superscript", "app=leaddirector&FormName=catalogue&portalId=%C2%B2",
         mentions="portalId"),
    Post("portalId negative", "app=leaddirector&FormName=catalogue&portalId=-1",
         mentions="portalId"),
    Post("portalId 5,000 digits", "app=leaddirector&FormName=catalogue&portalId=" + "9" * 5000,
         mentions="portalId"),
    Post("portalId injection", "app=leaddirector&FormName=catalogue&portalId=1%20OR%201=1",
         mentions="portalId"),
]


@pytest.fixture(scope="module")
def form_portal(db, server):
    """A portal with the form ``catalogue``; and a client without credentials."""
    portal = make_portal(db, server, "Forms")
    make_form(db, portal, "catalogue")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield portal, client


def assert_form_error(r: httpx.Response, status: int, mentions: str) -> None:
    """The form face's error: the status, plain text ``Error: ...`` naming the problem."""
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("text/plain"), r.headers
    assert r.text.startswith("Error: "), r.text[:300]
    assert "submissionGuid" not in r.text
    assert mentions in r.text, r.text[:300]


@pytest.mark.parametrize("post", POSTS, ids=[p.id for p in POSTS])
def test_bad_form_posts_get_4xx_and_store_nothing(db, form_portal, post):
    portal, client = form_portal
    before = snapshot(db)
    headers = {"content-type": post.ctype} if post.ctype else {}
    r = client.post("/?" + post.query.format(portal=portal.id), content=post.body,
                    headers=headers)
    assert_form_error(r, post.status, post.mentions)
    assert snapshot(db) == before


def _chunks(total_mb: int) -> Iterator[bytes]:
    yield GOOD + b"&Message="
    for _ in range(total_mb):
        yield b"x" * MB


def test_oversized_form_posts_get_413_and_memory_stays_flat(db, form_portal, server):
    portal, client = form_portal
    url = f"/?app=leaddirector&FormName=catalogue&portalId={portal.id}"
    headers = {"content-type": FORM}
    before = snapshot(db)
    assert_form_error(client.post(url, content=_chunks(12), headers=headers), 413, "larger")
    rss = rss_mb(server.proc.pid)
    for _ in range(3):
        r = client.post(url, content=GOOD + b"&Message=" + b"x" * (11 * MB), headers=headers)
        assert_form_error(r, 413, "larger")
        r = client.post(url, content=_chunks(40), headers=headers)
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert_form_error(r, 413, "larger")
    # 3 x 51 MB sent; buffering them would grow the server by far more than this.
    assert rss_mb(server.proc.pid) - rss < 30
    assert snapshot(db) == before


def test_declared_charset_is_honoured(db, form_portal):
    """Legacy pages may post Latin-1 and say so; such a post is accepted and read right."""
    portal, client = form_portal
    url = f"/?app=leaddirector&FormName=catalogue&portalId={portal.id}"
    body = (b"Email=latin%40example.com&IPAddress=1&UserToken=l1&FirstName=Ren%E9e"
            b"&LastName=M\xfcller")
    r = client.post(url, content=body, headers={"content-type": FORM + "; charset=ISO-8859-1"})
    assert r.status_code == 200, r.text
    guid = submission_guid(r.text)
    with portal.client() as api:
        lead = wait_for_lead(api, guid)
    assert (lead["firstName"], lead["lastName"]) == ("Renée", "Müller")
