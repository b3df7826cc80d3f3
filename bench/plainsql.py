"""The plain SQL a person would write for each v1 list request, timed on the same store.

Each query returns the same rows the list returns (the page's leads with their
primary contacts), straight through the sqlite3 module: no HTTP, no
framework, no rendering. A list's p99 is compared with the median of these.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Mapping

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
    path: str, sql: str, args: Mapping[str, object], seconds: float
) -> tuple[float, list[str]]:
    """Median milliseconds of the query over about ``seconds`` of runs, and the guids it returns."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        guids = [r[1] for r in con.execute(sql, args)]  # warm the cache
        times = []
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
