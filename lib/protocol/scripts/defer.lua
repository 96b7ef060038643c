--[[
  defer: a job could not start because another job holds its run-time lock: take it out of the
  worker's in-flight hash and put it in the delayed queue to try again shortly (node-resque's
  JobLock re-enqueues the same way, 1 s later). Not an attempt: nothing is counted or failed.

  KEYS[1]     inflight:<worker id>        KEYS[2] worker:<worker id>
  KEYS[3]     delayed_queue_schedule      KEYS[4] delayed:<second>
  KEYS[5]     delayed-ids                 KEYS[6] timestamps:<item>
  ARGV[1]     token                       ARGV[2] the delayed item (payload with its queue)
  ARGV[3]     job id, or ''               ARGV[4] due second

  Returns 1 when deferred, 0 when the job was no longer in flight (recovered meanwhile).
]]
local inflight, workerRecord, schedule, list, ids, timestamps = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local token, item, id, second = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if not redis.call('HGET', inflight, token) then return 0 end
redis.call('HDEL', inflight, token)
redis.call('RPUSH', list, item)
redis.call('ZADD', schedule, second, second)
redis.call('SADD', timestamps, 'delayed:' .. second)
if id ~= '' then redis.call('HSET', ids, id, second) end
if redis.call('HLEN', inflight) == 0 then redis.call('DEL', workerRecord) end
return 1
