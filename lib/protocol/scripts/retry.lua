--[[
  retry: a job's attempt failed and it may try again: take it out of the worker's in-flight hash
  and put it in the delayed queue (resque-scheduler's layout) for its next attempt, counting the
  attempt where any promoter keeps it (retry-info, keyed by sha1 of class and args: Ruby's
  promoter rewrites the payload, so the count cannot live only inside it). Atomic: the job is in
  flight or delayed, never both, never neither. No failure record: only the last attempt writes one.

  KEYS[1]     inflight:<worker id>        KEYS[2] worker:<worker id>
  KEYS[3]     delayed_queue_schedule      KEYS[4] delayed:<second>
  KEYS[5]     delayed-ids                 KEYS[6] timestamps:<item>
  KEYS[7]     retry-info                  KEYS[8] retrying
  KEYS[9]     stat:processed              KEYS[10] stat:processed:<worker id>
  KEYS[11]    stat:failed                 KEYS[12] stat:failed:<worker id>
  KEYS[13]    queues (set)                KEYS[14] queue:<name> (for a retry due now)
  KEYS[15]    job:<id>:status, or absent
  ARGV[1]     token                       ARGV[2] digest (sha1 of class and args)
  ARGV[3]     attempts allowed in all     ARGV[4] the delayed item (payload with its queue)
  ARGV[5]     job id, or ''               ARGV[6] due second of the next attempt
  ARGV[7]     retry-info JSON without its attempt field: '{"queue":...,"error":...}' minus the
              closing brace, so the script can append ',"attempt":N}'
  ARGV[8]     now, epoch seconds (status "updated")
  ARGV[9]     '1' when the next attempt is due now (no backoff): the job goes straight back to its
              queue (as if promoted at once) instead of waiting for the next second
  ARGV[10]    wake-up stream key (keys.wake), for a retry due now

  Returns the number of the attempt that failed (1 = the first run) when the job was put back,
  0 when no attempt is left (the caller fails it; the count is cleared), -1 when the job is no
  longer in flight (recovered meanwhile: nothing done).
]]
local inflight, workerRecord, schedule, list, ids, timestamps, info, retrying =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local token, digest, allowed, item, id, second, infoHead, now, dueNow, wake =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]

if not redis.call('HGET', inflight, token) then return -1 end
local previous = redis.call('HGET', info, digest)
local failedBefore = previous and tonumber(string.match(previous, '"attempt":(%d+)')) or 0
local attempt = failedBefore + 1
if attempt >= allowed then
  redis.call('HDEL', info, digest)
  redis.call('ZREM', retrying, digest)
  return 0
end
redis.call('HDEL', inflight, token)
if dueNow == '1' then
  local queueName = cjson.decode(item).queue
  redis.call('SADD', KEYS[13], queueName)
  if redis.call('RPUSH', KEYS[14], item) == 1 then
    redis.call('XADD', wake, 'MAXLEN', '~', 100, '*', 'q', queueName)
  end
else
  redis.call('RPUSH', list, item)
  redis.call('ZADD', schedule, second, second)
  redis.call('SADD', timestamps, 'delayed:' .. second)
  if id ~= '' then redis.call('HSET', ids, id, second) end
end
redis.call('HSET', info, digest, infoHead .. ',"attempt":' .. attempt .. '}')
redis.call('ZADD', retrying, second, digest)
redis.call('INCR', KEYS[9])
redis.call('INCR', KEYS[10])
redis.call('INCR', KEYS[11])
redis.call('INCR', KEYS[12])
if KEYS[15] and redis.call('EXISTS', KEYS[15]) == 1 then
  redis.call('SET', KEYS[15], '{"status":1,"updated":' .. now .. ',"attempt":' .. (attempt + 1) .. '}')
end
if redis.call('HLEN', inflight) == 0 then redis.call('DEL', workerRecord) end
return attempt
