--[[
  fire-schedule: enqueue one tick of a recurring schedule, once. The tick is claimed by
  compare-and-set on its next fire time: only the caller that still sees `slot` there enqueues
  and moves it to `next`, so two schedulers (an old leader and a new one) never both enqueue it.
  The definition is compared too: a schedule removed or changed meanwhile enqueues nothing.

  KEYS[1]     recurring                   KEYS[2] recurring:next    KEYS[3] recurring:last
  KEYS[4]     queues (set)                KEYS[5] queue:<name>
  KEYS[6]     job:<id>:status, or absent for an untracked job
  ARGV[1]     schedule name               ARGV[2] definition JSON the caller computed from
  ARGV[3]     slot: the fire time being claimed (epoch ms)
  ARGV[4]     next fire time (epoch ms)   ARGV[5] queue name
  ARGV[6]     payload                     ARGV[7] "<epoch ms> <job id>" for recurring:last
  ARGV[8]     WAITING status JSON (when KEYS[6] is given)
  ARGV[9]     wake-up stream our idle workers read (keys.ts wake; '' for none)

  Returns 1 when this call enqueued the tick, 0 when another had (or the schedule changed).
]]
local defs, nextFire, last, queues, queue = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local name, definition, slot, following, queueName, payload, lastRun, waiting, wake =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
if redis.call('HGET', defs, name) ~= definition then return 0 end
local current = redis.call('ZSCORE', nextFire, name)
if not current or tonumber(current) ~= tonumber(slot) then return 0 end
redis.call('ZADD', nextFire, following, name)
redis.call('SADD', queues, queueName)
redis.call('RPUSH', queue, payload)
redis.call('HSET', last, name, lastRun)
if KEYS[6] then redis.call('SET', KEYS[6], waiting) end
if wake ~= '' then
  redis.call('XADD', wake, 'MAXLEN', '~', 100, '*', 'q', queueName)
end
return 1
