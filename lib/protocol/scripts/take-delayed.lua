--[[
  take-delayed: remove one delayed job we wrote, found by its id, and either drop it or push it
  to its queue now ("run it now"). Atomic, so a promoter cannot move it at the same moment.

  KEYS[1]     delayed_queue_schedule      KEYS[2] delayed-ids (hash id -> second)
  KEYS[3]     queues (set)
  ARGV[1]     job id (32 hex)
  ARGV[2]     'remove' or 'now'
  ARGV[3]     delayed list key prefix     ARGV[4] timestamps key prefix
  ARGV[5]     queue key prefix            ARGV[6] wake-up list ('' for none)

  Returns 1 if the job was found (and removed or pushed), 0 if it is not delayed (any more).
]]
local schedule, ids, queues = KEYS[1], KEYS[2], KEYS[3]
local id, mode, delayedPrefix, timestampsPrefix, queuePrefix, wake = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local second = redis.call('HGET', ids, id)
if not second then return 0 end
redis.call('HDEL', ids, id)
local list = delayedPrefix .. second
local needle = '"id":"' .. id .. '"'
local found
local items = redis.call('LRANGE', list, 0, -1)
for _, item in ipairs(items) do
  if string.find(item, needle, 1, true) then found = item break end
end
if not found then return 0 end -- promoted by another scheduler, which keeps no index
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
    redis.call('LPUSH', wake, '1')
    redis.call('LTRIM', wake, 0, 0)
  end
end
return 1
