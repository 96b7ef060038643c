--[[
  add-class-metrics: add one worker's per-class counts of one minute (protocol/class-metrics.ts)
  and keep the minute's hash for a few hours after its last write. One call per minute a worker
  has counts for, every few seconds: the only write our per-class metrics cost.

  KEYS[1]     class-metrics:<minute> (hash "<class>:<counter>" -> count)
  ARGV[1]     seconds the hash lives after this write
  ARGV[2..]   pairs: field, increment (a whole number)

  Returns the number of fields incremented.
]]
local hash = KEYS[1]
local ttl = tonumber(ARGV[1])
local n = 0
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', hash, ARGV[i], ARGV[i + 1])
  n = n + 1
end
if n > 0 then redis.call('EXPIRE', hash, ttl) end
return n
