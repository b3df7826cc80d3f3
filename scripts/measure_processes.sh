#!/usr/bin/env bash
# Requests per second of `leadhub serve --workers N` for N in $WORKERS, on loopback.
# Usage: scripts/measure_processes.sh postgresql://postgres@127.0.0.1/leadhub_load
# Runs are short and interleaved (1, 2, 1, 2, ...) so that background load hits
# every N alike; compare the ratios, not the absolute numbers.
set -euo pipefail
URL=${1:?database url}
WORKERS=${WORKERS:-"1 2"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-32}
PORT=${PORT:-18480}
PY=${PY:-python}
TOKEN=demooooo-oooo-oooo-oooo-oooooooooooo
GUID=8a41f2f22906b93a012906b9438f0008
BASE=http://127.0.0.1:$PORT
POST_LUA=$(mktemp --suffix .lua)
cat > "$POST_LUA" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  local body = "Email=load" .. (counter % 500) .. "%40example.com&FirstName=Load&IPAddress=10.0.0.1&UserToken=t" .. counter
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
LUA
$PY -m leadhub serve --port "$PORT" --database-url "$URL" --demo --no-worker >/dev/null 2>&1 &
pid=$!
up() { until curl -sf "$BASE/healthz" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { echo "leadhub serve exited; see its output" >&2; exit 1; }
  sleep 0.2; done; }
up
kill "$pid"; wait "$pid" || true
$PY -m leadhub form list --portal 62515 --database-url "$URL" | grep -q load ||
  $PY -m leadhub form create --portal 62515 --name load --database-url "$URL" --public-url "$BASE"
# Requests per second; a run with any error or non-2xx answer prints ERR instead.
rps() {
  wrk -t2 -c"$CONNS" -d"$DURATION" "$@" |
    awk '/Requests\/sec/ {r=$2} /Non-2xx|Socket errors/ {bad=1} END {print bad ? "ERR" : r}'
}
echo "round workers get_lead list_search form_post"
for round in $(seq "$ROUNDS"); do
  for n in $WORKERS; do
    $PY -m leadhub serve --port "$PORT" --database-url "$URL" --workers "$n" --no-worker \
      >/dev/null 2>&1 &
    pid=$!
    up
    sleep 1
    a=$(rps "$BASE/leads/v1/lead/$GUID?access_token=$TOKEN")
    b=$(rps "$BASE/leads/v1/list?access_token=$TOKEN&max=20&search=hubspot")
    c=$(rps -s "$POST_LUA" "$BASE/?app=leaddirector&FormName=load&portalId=62515")
    echo "$round $n $a $b $c"
    kill "$pid"; wait "$pid" || true
  done
done
rm -f "$POST_LUA"
