--[[
  define-schedule: add or replace a recurring schedule. An identical definition (the same code
  booting again) changes nothing, so its next tick stays; a changed one gets the new first tick.

  KEYS[1]     recurring                   hash name -> definition JSON
  KEYS[2]     recurring:next              zset name -> next fire time (epoch ms)
  ARGV[1]     name                        ARGV[2] definition JSON
  ARGV[3]     first fire time for a new or changed definition (epoch ms)

  Returns 1 when the definition was added or changed, 0 when it was already there.
]]
local defs, nextFire = KEYS[1], KEYS[2]
local name, definition, first = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', defs, name) == definition and redis.call('ZSCORE', nextFire, name) then return 0 end
redis.call('HSET', defs, name, definition)
redis.call('ZADD', nextFire, first, name)
return 1
