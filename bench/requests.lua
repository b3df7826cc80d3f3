-- wrk script: send the requests listed in a file (METHOD<TAB>PATH<TAB>BODY per line),
-- in turn from a fixed starting point, with a bearer token; print the numbers as JSON.
local reqs = {}
local i = 0

init = function(args)
  local headers = {
    ["Authorization"] = "Bearer " .. (args[2] or "bench"),
    ["Content-Type"] = "application/json",
  }
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\t([^\t]*)\t(.*)$")
    if body == "" then body = nil end
    reqs[#reqs + 1] = wrk.format(method, path, headers, body)
  end
end

request = function()
  i = i % #reqs + 1
  return reqs[i]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"status":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
