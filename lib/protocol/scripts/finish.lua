--[[
  finish: acknowledge jobs a worker has run, success or failure, in one atomic step per batch.
  A job is counted only if it is still in the worker's in-flight hash; if recovery already took it
  (the worker was presumed dead), finishing it again would count it twice, so it is skipped.

  KEYS[1]     inflight:<worker id>
  KEYS[2]     worker:<worker id>          deleted once nothing is in flight
  KEYS[3]     stat:processed              KEYS[4] stat:processed:<worker id>
  KEYS[5]     stat:failed                 KEYS[6] stat:failed:<worker id>
  KEYS[7]     failed                      list of failure records
  ARGV[1]     COMPLETE status JSON        ARGV[2] FAILED status JSON
  ARGV[3]     seconds a finished status lives (php-resque: 86400)
  ARGV[4..]   five values per job:
                token
                status key, or '' when the job is not tracked
                outcome: 'ok', 'fail' (record = head .. payload .. tail), 'fail-literal' (record = head .. tail)
                record head, record tail ('' for 'ok')

  Returns the number of jobs finished (those still in flight).
]]
local inflight, workerRecord = KEYS[1], KEYS[2]
local processed, processedByWorker, failedCount, failedByWorker, failedList = KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local complete, failedStatus, ttl = ARGV[1], ARGV[2], ARGV[3]

local done, failures = 0, 0
for i = 4, #ARGV, 5 do
  local token, statusKey, outcome, head, tail = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local entry = redis.call('HGET', inflight, token)
  if entry then
    redis.call('HDEL', inflight, token)
    done = done + 1
    if outcome == 'ok' then
      if statusKey ~= '' then redis.call('SET', statusKey, complete, 'XX', 'EX', ttl) end
    else
      failures = failures + 1
      if outcome == 'fail' then
        local raw = string.sub(entry, string.find(entry, '\n', 1, true) + 1)
        redis.call('RPUSH', failedList, head .. raw .. tail)
      else
        redis.call('RPUSH', failedList, head .. tail)
      end
      if statusKey ~= '' then redis.call('SET', statusKey, failedStatus, 'XX', 'EX', ttl) end
    end
  end
end
if done > 0 then
  redis.call('INCRBY', processed, done)
  redis.call('INCRBY', processedByWorker, done)
end
if failures > 0 then
  redis.call('INCRBY', failedCount, failures)
  redis.call('INCRBY', failedByWorker, failures)
end
if redis.call('HLEN', inflight) == 0 then redis.call('DEL', workerRecord) end
return done
