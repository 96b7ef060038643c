--[[
  publish-outcomes: what a worker tells other processes after acknowledging jobs (PUBLISH_EVENTS=1).
  The outcome of each job with an id goes into the current results bucket (one hash per minute,
  field = job id), then the whole batch is published as one message. Both in one atomic step: a
  reader that subscribed and then found no record is sure to get the message (waitFor in
  lib/events/outcome-subscriber.ts relies on it). One HSET for the whole batch: a key per job
  (SET EX) cost about twice the Redis CPU.

  KEYS[1]     results:<bucket>           hash job id -> outcome record, for the minute the worker is in
  ARGV[1]     channel (the `events` name from keys.ts)
  ARGV[2]     seconds the bucket lives after its last write (at least EVENT_RESULT_TTL past any record)
  ARGV[3]     N, the number of jobs with an id
  ARGV[4..3+2N] id, outcome record (JSON object, protocol/job-outcome.ts) for each job with an id
  ARGV[4+2N..] outcome records of jobs without an id (published, not recorded)

  Publishes the JSON array of every record (jobs with an id first); returns the number of
  subscribers that received it.
]]
local bucket, channel, ttl, n = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local records = {}
if n > 0 then
  local fields = {}
  for i = 4, 3 + 2 * n, 2 do
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
    records[#records + 1] = ARGV[i + 1]
  end
  redis.call('HSET', bucket, unpack(fields))
  redis.call('EXPIRE', bucket, ttl)
end
for i = 4 + 2 * n, #ARGV do
  records[#records + 1] = ARGV[i]
end
return redis.call('PUBLISH', channel, '[' .. table.concat(records, ',') .. ']')
