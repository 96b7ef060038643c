--[[
  enqueue: add jobs to one queue in one round trip, as every Resque does (SADD queues + RPUSH),
  and create php-resque's WAITING status for the tracked ones.

  KEYS[1]     queues                      set of queue names
  KEYS[2]     queue:<name>                the queue list
  KEYS[3..]   job:<id>:status             one per tracked job (may be none)
  ARGV[1]     queue name
  ARGV[2]     WAITING status JSON, written to every KEYS[3..]
  ARGV[3..]   payloads, pushed in order

  Returns the queue length after the push.
]]
local queues, queue = KEYS[1], KEYS[2]
redis.call('SADD', queues, ARGV[1])
local length = 0
local chunk = 1000 -- stay well under Lua's unpack limit
for first = 3, #ARGV, chunk do
  length = redis.call('RPUSH', queue, unpack(ARGV, first, math.min(first + chunk - 1, #ARGV)))
end
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], ARGV[2])
end
return length
