--[[
  promote: move delayed jobs that are due to their queues, oldest second first, at most ARGV[2]
  per call. Each item is popped and pushed in this one atomic step, so a scheduler killed
  between calls loses and duplicates nothing, and a Ruby or node promoter on the same Redis
  (which pop atomically too) can never take the same item.

  The item is pushed unchanged (as node-resque's promoter does): our items are php-resque
  payloads that keep their id, so tracked statuses follow them; foreign items are Resque
  payloads too ({"class","args","queue"}). An item that is not a JSON object with a string
  class and queue, or whose queue name breaks the queue-name rule, goes to `failed` with a reason.

  "Due" means its second is <= now: a job is never promoted before the second it was stored
  under (enqueueAt rounds up, so never before the time asked for).

  KEYS[1]     delayed_queue_schedule      KEYS[2] delayed-ids (hash id -> second)
  KEYS[3]     queues (set)                KEYS[4] failed (list)
  ARGV[1]     now, epoch seconds; '' to use Redis's clock
  ARGV[2]     most items to move
  ARGV[3]     delayed list key prefix ("resque:delayed:")
  ARGV[4]     timestamps key prefix ("resque:timestamps:")
  ARGV[5]     queue key prefix ("resque:queue:")
  ARGV[6]     failed_at for failure records, a JSON string with its quotes
  ARGV[7]     wake-up stream our idle workers read (keys.ts wake; '' for none); pushed once per call that moved jobs

  Returns {moved, failed, next}: next is the earliest second still scheduled, or -1.
]]
local schedule, ids, queues, failedList = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[1])
if not now then now = tonumber(redis.call('TIME')[1]) end
local budget = tonumber(ARGV[2])
local delayedPrefix, timestampsPrefix, queuePrefix, failedAt, wake = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]

-- lib/protocol/queue-name.ts in bytes: 1-128 characters (<= 512 bytes), no control, space, ":", "," or "*"
local function goodQueue(name)
  return type(name) == 'string' and #name >= 1 and #name <= 512 and not string.find(name, '[%z\1-\32\127:,%*]')
end

local moved, failed = 0, 0
while budget > 0 do
  local due = redis.call('ZRANGEBYSCORE', schedule, '-inf', now, 'LIMIT', 0, 1)[1]
  if not due then break end
  local list = delayedPrefix .. due
  local items = redis.call('LPOP', list, budget)
  if items then
    for _, item in ipairs(items) do
      budget = budget - 1
      redis.call('SREM', timestampsPrefix .. item, 'delayed:' .. due)
      local ok, job = pcall(cjson.decode, item)
      local queue = ok and type(job) == 'table' and job.queue
      if ok and type(job) == 'table' and type(job.class) == 'string' and goodQueue(queue) then
        redis.call('SADD', queues, queue)
        redis.call('RPUSH', queuePrefix .. queue, item)
        moved = moved + 1
      else
        local reason = 'a delayed item must be a JSON object with a string "class" and a valid "queue"'
        redis.call('RPUSH', failedList, '{"failed_at":' .. failedAt .. ',"payload":' .. cjson.encode(item) ..
          ',"exception":"InvalidDelayedItemError","error":' .. cjson.encode(reason) ..
          ',"backtrace":[],"worker":"scheduler","queue":""}')
        failed = failed + 1
      end
      local id = string.match(item, '"id":"(%x+)"[^{}%[%]]*}%s*$')
      if id then redis.call('HDEL', ids, id) end
    end
  end
  if redis.call('LLEN', list) == 0 then
    redis.call('DEL', list)
    redis.call('ZREM', schedule, due)
  end
end
if moved > 0 and wake ~= '' then
  redis.call('XADD', wake, 'MAXLEN', '~', 100, '*', 'q', '')
end
local nextDue = redis.call('ZRANGE', schedule, 0, 0)[1]
return {moved, failed, tonumber(nextDue) or -1}
