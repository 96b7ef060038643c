--[[
  sample-stats: record Resque's global counters once for a minute (the dashboard's chart). Any
  process may call it any number of times a minute: the first call of a minute writes the sample,
  later ones find it and write nothing, so every host may sample and the history stays one point a
  minute. The counters are read here, in the same atomic step, so a sample is one instant's pair.

  KEYS[1]     stat-history (zset minute -> "<minute>:<processed>:<failed>")
  KEYS[2]     stat:processed              KEYS[3] stat:failed
  ARGV[1]     the minute (epoch minutes, the caller's clock)
  ARGV[2]     minutes kept: samples older than ARGV[1] - ARGV[2] are removed

  Returns 1 when this call wrote the minute's sample, 0 when one was there already.
]]
local history, processedKey, failedKey = KEYS[1], KEYS[2], KEYS[3]
local minute, keep = tonumber(ARGV[1]), tonumber(ARGV[2])
if #redis.call('ZRANGEBYSCORE', history, minute, minute, 'LIMIT', 0, 1) > 0 then return 0 end
local processed = tonumber(redis.call('GET', processedKey)) or 0
local failed = tonumber(redis.call('GET', failedKey)) or 0
redis.call('ZADD', history, minute, string.format('%d:%d:%d', minute, processed, failed))
redis.call('ZREMRANGEBYSCORE', history, '-inf', '(' .. (minute - keep))
return 1
