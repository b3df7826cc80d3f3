-- wrk script: send the requests listed in a file (METHOD<TAB>PATH<TAB>BODY[<TAB>CONTENT-TYPE]
-- per line), in turn from a fixed starting point, with a bearer token; print the numbers as
-- JSON. The content type is application/json unless the line names another. A third
-- argument starts at that line instead of the first (to continue where a run stopped).
local reqs = {}
local i = 0

init = function(args)
  i = tonumber(args[3] or "0")
  local token = "Bearer " .. (args[2] or "bench")
  for line in io.lines(args[1]) do
    local method, path, body, ctype = line:match("^(%u+)\t([^\t]*)\t([^\t]*)\t?([^\t]*)$")
    if body == "" then body = nil end
    if ctype == "" then ctype = "application/json" end
    local headers = {["Authorization"] = token, ["Content-Type"] = ctype}
    reqs[#reqs + 1] = wrk.format(method, path, headers, body)
  end
  i = i % #reqs
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
