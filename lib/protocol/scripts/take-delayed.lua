--[[
  take-delayed: find one delayed job we wrote by its id, and either report its second ('at'),
  drop it ('remove') or push it to its queue now ('now'). Atomic, so a promoter cannot move it at
  the same moment. An index entry whose item is gone (a Ruby or node promoter took it: they keep
  no index) is deleted here.

  KEYS[1]     delayed_queue_schedule      KEYS[2] delayed-ids (hash id -> second)
  KEYS[3]     queues (set)
  ARGV[1]     job id (32 hex)
  ARGV[2]     'at', 'remove' or 'now'
  ARGV[3]     delayed list key prefix     ARGV[4] timestamps key prefix
  ARGV[5]     queue key prefix            ARGV[6] wake-up stream (keys.ts wake; '' for none)

  Returns the job's due second if it was found (and, but for 'at', removed or pushed), 0 if it is not
  delayed (any more).
]]
local schedule, ids, queues = KEYS[1], KEYS[2], KEYS[3]
local id, mode, delayedPrefix, timestampsPrefix, queuePrefix, wake = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local second = redis.call('HGET', ids, id)
if not second then return 0 end
local list = delayedPrefix .. second
local needle = '"id":"' .. id .. '"'
local found
local items = redis.call('LRANGE', list, 0, -1)
for _, item in ipairs(items) do
  if string.find(item, needle, 1, true) then found = item break end
end
if not found then
  redis.call('HDEL', ids, id)
  return 0
end
if mode == 'at' then return tonumber(second) end
redis.call('HDEL', ids, id)
redis.call('LREM', list, 1, found)
redis.call('SREM', timestampsPrefix .. found, 'delayed:' .. second)
if redis.call('LLEN', list) == 0 then
  redis.call('DEL', list)
  redis.call('ZREM', schedule, second)
end
if mode == 'now' then
  local queue = cjson.decode(found).queue
  redis.call('SADD', queues, queue)
  redis.call('RPUSH', queuePrefix .. queue, found)
  if wake ~= '' then
    redis.call('XADD', wake, 'MAXLEN', '~', 100, '*', 'q', queue)
  end
end
return tonumber(second)
