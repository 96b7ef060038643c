--[[
  scheduler-lock: take, keep or give up the scheduler leader's lock (value "host:pid"). Take: SET NX EX. Keep: only while the value is ours, then EXPIRE. Give up: DEL only
  if ours. So two hosts never both believe they lead for longer than the lock lives.

  KEYS[1]     scheduler-leader-lock
  ARGV[1]     our name ("host:pid")
  ARGV[2]     'acquire' or 'release'
  ARGV[3]     seconds the lock lives without renewal

  Returns 1 when we hold the lock after the call (acquire) or released it (release), else 0.
]]
local lock, me, mode, ttl = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local holder = redis.call('GET', lock)
if mode == 'release' then
  if holder == me then redis.call('DEL', lock) return 1 end
  return 0
end
if holder == me then
  redis.call('EXPIRE', lock, ttl)
  return 1
end
if holder then return 0 end
redis.call('SET', lock, me, 'EX', ttl)
return 1
