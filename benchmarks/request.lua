-- wrk script: one fixed request (any method, optional JSON body, bearer token), and a JSON summary.
-- Usage: wrk -s benchmarks/request.lua http://127.0.0.1:PORT/PATH -- METHOD BODY_FILE|- TOKEN
-- The summary line starts with WRK_JSON; latencies are in microseconds (wrk's own unit).

local req

function init(args)
  local method, body_file, token = args[1] or "GET", args[2] or "-", args[3] or "bench"
  local body = nil
  if body_file ~= "-" and body_file ~= "" then
    local f = assert(io.open(body_file, "rb"))
    body = f:read("*a")
    f:close()
  end
  local headers = {["Host"] = wrk.host .. ":" .. tostring(wrk.port), ["Authorization"] = "Bearer " .. token}
  if body then headers["Content-Type"] = "application/json" end
  req = wrk.format(method, wrk.path, headers, body)
end

function request()
  return req
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
