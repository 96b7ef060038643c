--[[
  due-schedules: the recurring schedules whose next fire time has come, with their definitions,
  and the time used to judge it (Redis's clock unless the caller gives one). Read-only: firing
  is fire-schedule.lua's compare-and-set.

  KEYS[1]     recurring                   KEYS[2] recurring:next
  ARGV[1]     now in epoch ms, or '' for Redis's clock
  ARGV[2]     most schedules to return

  Returns {now, name, slot, definition, name, slot, definition, ...}; a name whose definition is
  gone is removed from recurring:next and not returned.
]]
local defs, nextFire = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local out = {tostring(now)}
local due = redis.call('ZRANGEBYSCORE', nextFire, '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #due, 2 do
  local definition = redis.call('HGET', defs, due[i])
  if definition then
    out[#out + 1] = due[i]
    out[#out + 1] = due[i + 1]
    out[#out + 1] = definition
  else
    redis.call('ZREM', nextFire, due[i])
  end
end
return out
