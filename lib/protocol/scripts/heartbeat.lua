--[[
  heartbeat: mark workers alive and list the ones whose heartbeat is stale, using Redis's clock
  so hosts with skewed clocks agree. Writes Ruby's `workers:heartbeat` (ISO time, read by
  resque-web and Ruby's pruner) and our `workers:alive` zset (milliseconds, for range queries).

  A live worker that a recovery unregistered meanwhile (its host was cut off and presumed dead)
  is registered again: back in `workers`, with a `:started` key, so resque-web shows it.

  The caller judges others only from time it was connected itself: ARGV[3] is the Redis time
  since which its own heartbeats have succeeded without a gap. A worker is stale only when both
  its last heartbeat and that time are older than ARGV[2] ms: after an outage (or a frozen path)
  of the judge, nobody is judged until every live host has had DEAD_AFTER to beat again.

  KEYS[1]     workers:heartbeat (hash worker id -> ISO time)
  KEYS[2]     workers:alive (zset worker id -> ms)
  KEYS[3]     workers (set)
  KEYS[4..]   worker:<id>:started, one per id in ARGV[4..], same order
  ARGV[1]     ISO time to write in workers:heartbeat (and in a re-registered worker's :started)
  ARGV[2]     milliseconds after which a heartbeat is stale
  ARGV[3]     the caller's connected-since, ms of Redis time (0: judge on heartbeats alone)
  ARGV[4..]   worker ids that are alive now

  Returns {now in ms, R, the R ids registered again, then the ids whose last heartbeat is stale
  (at most 100 per call)}.
]]
local heartbeats, alive, workers = KEYS[1], KEYS[2], KEYS[3]
local iso, staleMs, since = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local again = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  redis.call('HSET', heartbeats, id, iso)
  redis.call('ZADD', alive, now, id)
  if redis.call('SADD', workers, id) == 1 then
    redis.call('SET', KEYS[i], iso, 'NX')
    again[#again + 1] = id
  end
end
local reply = { now, #again }
for _, id in ipairs(again) do reply[#reply + 1] = id end
if since > now - staleMs then return reply end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', alive, '-inf', now - staleMs, 'LIMIT', 0, 100)) do
  reply[#reply + 1] = id
end
return reply
