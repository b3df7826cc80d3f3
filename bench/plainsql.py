"""The plain SQL a person would write for each v1 list request, timed on the same store.

Each query returns the same rows the list returns (the page's leads with their
primary contacts), straight through the sqlite3 module (psycopg on PostgreSQL): no HTTP, no
framework, no rendering. A list's p99 is compared with the median of these.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping

from bench import stores

SEARCHED = ("firstname", "lastname", "email", "company")

SORTS = {
    "insertedAt": "l.created_at",
    "lastModifiedAt": "l.updated_at",
    "lastName": "lower(coalesce(json_extract(c.props, '$.lastname'), ''))",
}


def list_sql(params: Mapping[str, str], portal_id: int) -> tuple[str, dict[str, object]]:
    """The SQL and parameters returning the rows of ``GET /leads/v1/list?<params>``."""
    where = []
    args: dict[str, object] = {"portal": portal_id}
    if params.get("search"):
        args["term"] = f"%{params['search'].lower()}%"
        where.append(
            "(" + " OR ".join(
                f"lower(json_extract(c.props, '$.{p}')) LIKE :term" for p in SEARCHED
            ) + ")"
        )
    if params.get("startTime"):
        assert params.get("timePivot", "insertedAt") == "insertedAt"
        where.append("l.created_at BETWEEN :start AND :stop")
        args["start"], args["stop"] = int(params["startTime"]), int(params["stopTime"])
    direction = "ASC" if params.get("dir") == "asc" else "DESC"
    order = SORTS[params.get("sort", "lastModifiedAt")]
    sql = (
        "SELECT l.id, json_extract(l.props, '$.leadhub_guid'), l.props, c.props "
        "FROM objects l "
        "LEFT JOIN associations a ON a.portal_id = l.portal_id AND a.from_id = l.id "
        "AND a.type_id = 578 "
        "LEFT JOIN objects c ON c.id = a.to_id "
        "WHERE l.portal_id = :portal AND l.object_type = '0-136' AND l.archived = 0 "
        + "".join(f"AND {w} " for w in where)
        + f"ORDER BY {order} {direction}, l.id {direction} "
        f"LIMIT {int(params.get('max', 10))} OFFSET {int(params.get('offset', 0))}"
    )
    return sql, args


def time_query(
    url: str, sql: str, args: Mapping[str, object], seconds: float
) -> tuple[float, list[str]]:
    """Median milliseconds of the query over about ``seconds`` of runs, and the guids it returns."""
    con = stores.connect(url, readonly=True)
    sql = stores.sql(con, sql)
    try:
        guids = [r[1] for r in con.execute(sql, args)]  # warm the cache
        times: list[float] = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline or len(times) < 3:
            t = time.perf_counter()
            con.execute(sql, args).fetchall()
            times.append((time.perf_counter() - t) * 1000)
            if len(times) >= 2000:
                break
        return statistics.median(times), guids
    finally:
        con.close()


def search_case() -> tuple[dict[str, object], dict[str, object]]:
    """The v3 search measured (scenario 3) and the filter values in store terms.

    Leads created in one month with a raw score of at least 250, most recently
    modified first: a window on an indexed column, a numeric property filter
    and a sort on another column.
    """
    from bench.dataset import SPAN_MS, START_MS

    month = 30 * 86_400_000
    start = START_MS + SPAN_MS // 2
    stop = start + month
    body = {
        "filterGroups": [{"filters": [
            {"propertyName": "hs_createdate", "operator": "BETWEEN",
             "value": str(start), "highValue": str(stop)},
            {"propertyName": "leadhub_raw_score", "operator": "GTE", "value": "250"},
        ]}],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
        "properties": ["hs_lead_name", "leadhub_raw_score"],
        "limit": 10,
    }
    return body, {"start": start, "stop": stop, "score": 250}


def search_sql(portal_id: int) -> tuple[str, str, dict[str, object]]:
    """The page query and the count query a person would write for ``search_case``.

    A v3 search answers with the page and the total number of matches, so
    both are timed together.
    """
    _, args = search_case()
    where = (
        "WHERE portal_id = :portal AND object_type = '0-136' AND archived = 0 "
        "AND created_at BETWEEN :start AND :stop "
        "AND CAST(json_extract(props, '$.leadhub_raw_score') AS REAL) >= :score "
    )
    page = (
        "SELECT id, props, created_at, updated_at FROM objects " + where
        + "ORDER BY updated_at DESC, id DESC LIMIT 10"
    )
    count = "SELECT count(*) FROM objects " + where
    return page, count, {"portal": portal_id, **args}


def time_search(url: str, seconds: float) -> tuple[float, list[str], int]:
    """Median milliseconds of the search's page and count queries, its ids and its total."""
    page, count, args = search_sql(1)
    con = stores.connect(url, readonly=True)
    page, count = stores.sql(con, page), stores.sql(con, count)
    try:
        ids = [str(r[0]) for r in con.execute(page, args)]  # warm the cache
        total = con.execute(count, args).fetchone()[0]
        times: list[float] = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline or len(times) < 3:
            t = time.perf_counter()
            con.execute(page, args).fetchall()
            con.execute(count, args).fetchone()
            times.append((time.perf_counter() - t) * 1000)
            if len(times) >= 2000:
                break
        return statistics.median(times), ids, int(total)
    finally:
        con.close()
