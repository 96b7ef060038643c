--[[
  enqueue: add jobs to one queue in one round trip, as every Resque does (SADD queues + RPUSH),
  create php-resque's WAITING status for the tracked ones, and wake idle workers.

  Waking: when the queue was empty before this push, an entry naming the queue is added to the
  wake-up stream, which idle workers read (XREAD BLOCK from the last id they saw, so all of them
  wake and none misses it). A queue that already held jobs needs no wake-up: a worker that takes
  from it is busy with it or has not yet found it empty. (A foreign producer's RPUSH wakes nobody;
  its jobs are found by the next poll, within INTERVAL.)

  KEYS[1]     queues                      set of queue names
  KEYS[2]     queue:<name>                the queue list
  KEYS[3]     wake                        wake-up stream, trimmed to about 100 entries
  KEYS[4..]   job:<id>:status             one per tracked job (may be none)
  ARGV[1]     queue name
  ARGV[2]     WAITING status JSON, written to every KEYS[4..]
  ARGV[3..]   payloads, pushed in order

  Returns the queue length after the push.
]]
local queues, queue, wake = KEYS[1], KEYS[2], KEYS[3]
redis.call('SADD', queues, ARGV[1])
local length = 0
local chunk = 1000 -- stay well under Lua's unpack limit
for first = 3, #ARGV, chunk do
  length = redis.call('RPUSH', queue, unpack(ARGV, first, math.min(first + chunk - 1, #ARGV)))
end
for i = 4, #KEYS do
  redis.call('SET', KEYS[i], ARGV[2])
end
if length == #ARGV - 2 then
  redis.call('XADD', wake, 'MAXLEN', '~', 100, '*', 'q', ARGV[1])
end
return length
