-- wrk script: each connection thread asks its own share of the questions in the file named after
-- `--`, in order, so that no question is repeated within a run shorter than the list; counts the
-- answers the server's query cache gave (X-Query-Cache: hit) and reports JSON at the end.
local threads = {}
local paths = {}
local counter = 0
hits = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % n == id then
      paths[#paths + 1] = line
    end
    i = i + 1
  end
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function response(status, headers, body)
  if headers["X-Query-Cache"] == "hit" then
    hits = hits + 1
  end
end

function done(summary, latency, requests)
  local e, cache_hits = summary.errors, 0
  for _, thread in ipairs(threads) do
    cache_hits = cache_hits + thread:get("hits")
  end
  io.write(string.format(
    'RESULT {"requests": %d, "duration_s": %.3f, "errors": %d, "non_2xx": %d, "p50_ms": %.1f, "p95_ms": %.1f, ' ..
    '"p99_ms": %.1f, "cache_hits": %d}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, cache_hits))
end
