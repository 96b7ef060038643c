--[[
  delay-unique: add one job of a class with `@Job({ unique })` to resque-scheduler's delayed queue
  (as delay.lua does), unless a job with the same uniqueness key is already waiting, delayed or
  queued (or running, for "until finished"). The lock is node-resque's QueueLock key and value,
  as enqueue-unique.lua writes it, held from now until the job's start (or end) and at most
  until its due time plus its TTL.

  KEYS[1]     lock:<class>:<queue>:<key>  KEYS[2] delayed_queue_schedule
  KEYS[3]     delayed:<second>            KEYS[4] delayed-ids
  KEYS[5]     timestamps:<item>           KEYS[6] job:<id>:status, or absent (untracked)
  ARGV[1]     now, epoch seconds          ARGV[2] lock lifetime, seconds (until due + TTL)
  ARGV[3]     job id                      ARGV[4] the due second
  ARGV[5]     the delayed item            ARGV[6] WAITING status JSON
  ARGV[7]     seconds the WAITING status lives (see delay.lua)

  Returns {1, id} when delayed; {0, existing id or ''} when a live lock refused it.
]]
local lock, schedule, list, ids, timestamps = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, ttl, id, second, item, waiting, statusTtl =
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local held = redis.call('GET', lock)
if held then
  local expiry = tonumber(string.match(held, '^(%d+)'))
  if expiry and now <= expiry then
    return {0, string.match(held, '^%d+ (%x+)$') or ''}
  end
end
redis.call('SET', lock, (now + ttl + 1) .. ' ' .. id, 'EX', ttl)
redis.call('RPUSH', list, item)
redis.call('SADD', timestamps, 'delayed:' .. second)
redis.call('HSET', ids, id, second)
redis.call('ZADD', schedule, second, second)
if KEYS[6] then redis.call('SET', KEYS[6], waiting, 'EX', statusTtl) end
return {1, id}
