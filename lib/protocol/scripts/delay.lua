--[[
  delay: add jobs to resque-scheduler's delayed queue for one due second, as Ruby's and node's
  enqueue_at do (RPUSH delayed:<second>, SADD timestamps:<item>, ZADD delayed_queue_schedule),
  plus our id index and php-resque's WAITING status for tracked jobs, in one atomic step.

  Each item is a php-resque payload with the queue inside:
  {"class":"C","args":[data],"queue":"q","id":"<32 hex>","queue_time":<float>}
  so Ruby's and node's promoters (which read class/args/queue) and ours (which pushes the item
  unchanged, keeping the id) all work on it.

  KEYS[1]     delayed_queue_schedule      zset second -> second
  KEYS[2]     delayed:<second>            list of items due in that second
  KEYS[3]     delayed-ids                 hash id -> second
  KEYS[4..3+N]      timestamps:<item>, one per item
  KEYS[4+N..]       job:<id>:status of the tracked items (may be none)
  ARGV[1]     the due second (epoch seconds, as a decimal string)
  ARGV[2]     WAITING status JSON, written to every status key
  ARGV[3]     N, the number of items
  ARGV[4]     seconds the WAITING status lives: until due plus a day, so the status of a job that
              a foreign promoter re-enqueued without its id (Ruby, node, php) does not stay forever
  ARGV[5..]   two values per item: id, item

  Returns the number of items in delayed:<second> after the push.
]]
local schedule, list, ids = KEYS[1], KEYS[2], KEYS[3]
local second, waiting, count, statusTtl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local member = 'delayed:' .. second
local length = 0
for i = 1, count do
  local id, item = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  length = redis.call('RPUSH', list, item)
  redis.call('SADD', KEYS[3 + i], member)
  redis.call('HSET', ids, id, second)
end
redis.call('ZADD', schedule, second, second)
for i = 4 + count, #KEYS do
  redis.call('SET', KEYS[i], waiting, 'EX', statusTtl)
end
return length
