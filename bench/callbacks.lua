-- Replays pre-signed WeCom callbacks (one per line: "path?query<TAB>xml body"), each once.
local requests = {}
local next_index = 0

function init(args)
  for line in io.lines(args[1]) do
    local target, body = line:match("^(.-)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", target, { ["Content-Type"] = "text/xml" }, body)
  end
end

function request()
  next_index = next_index + 1
  if next_index > #requests then
    next_index = 1 -- past the end the same events come again: duplicates, still answered
  end
  return requests[next_index]
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.3f %.3f %.3f\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
