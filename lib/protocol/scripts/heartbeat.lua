--[[
  heartbeat: mark workers alive and list the ones whose heartbeat is stale, using Redis's clock
  so hosts with skewed clocks agree. Writes Ruby's `workers:heartbeat` (ISO time, read by
  resque-web and Ruby's pruner) and our `workers:alive` zset (milliseconds, for range queries).

  KEYS[1]     workers:heartbeat (hash worker id -> ISO time)
  KEYS[2]     workers:alive (zset worker id -> ms)
  ARGV[1]     ISO time to write in workers:heartbeat
  ARGV[2]     milliseconds after which a heartbeat is stale
  ARGV[3..]   worker ids that are alive now

  Returns the ids whose last heartbeat is older than ARGV[2] ms (at most 100 per call).
]]
local heartbeats, alive = KEYS[1], KEYS[2]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i = 3, #ARGV do
  redis.call('HSET', heartbeats, ARGV[i], ARGV[1])
  redis.call('ZADD', alive, now, ARGV[i])
end
return redis.call('ZRANGEBYSCORE', alive, '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 100)
