-- Cycle through a pool of pre-signed webhook requests, count every answer that is not 200,
-- and print the figures the harness reads (one "BENCH key=value" line each).
--
-- wrk ... -s pool.lua <url> -- <blob file> <index file> <first position> <threads>
-- The blob holds complete HTTP requests back to back; the index one "offset length" per line.
-- Thread k sends positions first+k, first+k+threads, ... so threads never repeat each other.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local blob_path, index_path = args[1], args[2]
  local first = tonumber(args[3] or "0")
  step = tonumber(args[4] or "1")
  local file = assert(io.open(blob_path, "rb"), "cannot open request blob " .. tostring(blob_path))
  blob = file:read("*a")
  file:close()
  starts, stops = {}, {}
  for line in io.lines(index_path) do
    local offset, length = line:match("^(%d+) (%d+)$")
    starts[#starts + 1] = tonumber(offset) + 1
    stops[#stops + 1] = tonumber(offset) + tonumber(length)
  end
  pool_size = #starts
  assert(pool_size > 0, "request index is empty: " .. tostring(index_path))
  position = first + id
  sent = 0
  non200 = 0
  last_position = position
end

function request()
  local slot = position % pool_size + 1
  last_position = position
  position = position + step
  sent = sent + 1
  return string.sub(blob, starts[slot], stops[slot])
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local non200_total, sent_total, highest, size = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    non200_total = non200_total + (thread:get("non200") or 0)
    sent_total = sent_total + (thread:get("sent") or 0)
    highest = math.max(highest, thread:get("last_position") or 0)
    size = thread:get("pool_size") or size
  end
  local errors = summary.errors
  local lines = {
    string.format("requests=%d", summary.requests),
    string.format("duration_us=%d", summary.duration),
    string.format("sent=%d", sent_total),
    string.format("non200=%d", non200_total),
    string.format("last_position=%d", highest),
    string.format("pool_size=%d", size),
    string.format("errors_connect=%d", errors.connect),
    string.format("errors_read=%d", errors.read),
    string.format("errors_write=%d", errors.write),
    string.format("errors_status=%d", errors.status),
    string.format("errors_timeout=%d", errors.timeout),
    string.format("latency_mean_us=%.1f", latency.mean),
    string.format("latency_max_us=%d", latency.max),
    string.format("p50_us=%d", latency:percentile(50)),
    string.format("p99_us=%d", latency:percentile(99)),
    string.format("p999_us=%d", latency:percentile(99.9)),
  }
  for _, line in ipairs(lines) do
    io.write("BENCH " .. line .. "\n")
  end
end
