--[[
  enqueue-unique: enqueue one job unless a job with the same uniqueness key is already waiting
  (or running, for "until finished"). The lock is node-resque's QueueLock key and value format,
  so node-resque producers with QueueLock and we refuse each other's duplicates:
  `lock:<class>:<queue>:<key>` = "<expiry epoch s>[ <our job id>]" (node writes the number alone,
  and reads it with parseInt, so our id after a space is invisible to it).

  KEYS[1]     lock:<class>:<queue>:<key>  KEYS[2] queues   KEYS[3] queue:<name>
  KEYS[4]     job:<id>:status, or absent (untracked)
  ARGV[1]     now, epoch seconds          ARGV[2] lock lifetime, seconds
  ARGV[3]     job id                      ARGV[4] queue name
  ARGV[5]     payload                     ARGV[6] WAITING status JSON
  ARGV[7]     wake-up stream our idle workers read (keys.ts wake; '' for none)

  Returns {1, id} when enqueued; {0, existing id or ''} when a live lock refused it.
]]
local lock, queues, queue = KEYS[1], KEYS[2], KEYS[3]
local now, ttl, id, name, payload, waiting, wake = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local held = redis.call('GET', lock)
if held then
  local expiry = tonumber(string.match(held, '^(%d+)'))
  if expiry and now <= expiry then
    return {0, string.match(held, '^%d+ (%x+)$') or ''}
  end
end
redis.call('SET', lock, (now + ttl + 1) .. ' ' .. id, 'EX', ttl)
redis.call('SADD', queues, name)
redis.call('RPUSH', queue, payload)
if KEYS[4] then redis.call('SET', KEYS[4], waiting) end
if wake ~= '' then
  redis.call('XADD', wake, 'MAXLEN', '~', 100, '*', 'q', name)
end
return {1, id}
