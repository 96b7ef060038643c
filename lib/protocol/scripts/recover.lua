--[[
  recover: settle the in-flight jobs of a worker that is gone (crashed child, killed host, stale
  heartbeat) and unregister it. Each job is handled only if it is still in flight, so two
  processes recovering the same worker never requeue or fail a job twice. A clean shutdown
  calls this with no jobs: it is also the unregister step.

  Requeued jobs go back to the FRONT of their queue with their bytes unchanged. A job requeued
  more than ARGV[4] times is failed instead, so a job that kills its process cannot loop forever.
  Returned jobs (reserved with PREFETCH, never started: above the worker's inflight-mark) go back to
  the front the same way, WAITING again, without counting as a crash.

  Each settled job leaves a tombstone in `recovered:<worker id>` (token -> what was done, for
  ARGV[8] seconds): a worker presumed dead that was only cut off may still finish the job, and
  its late acknowledgement (exchange.lua) then undoes the false failure or takes back the requeued
  copy. Tombstone: action "\n" byte length of the queue name "\n" queue name, then the exact bytes
  written (the failure record for 'fail', the payload for 'requeue').

  KEYS[1]     inflight:<worker id>        token -> entry, as exchange.lua writes it (length-prefixed queue)
  KEYS[2]     worker:<worker id>          KEYS[3] worker:<worker id>:started
  KEYS[4]     workers (set)               KEYS[5] workers:heartbeat (hash)   KEYS[6] workers:alive (zset)
  KEYS[7]     stat:processed:<worker id>  KEYS[8] stat:failed:<worker id>
  KEYS[9]     stat:processed              KEYS[10] stat:failed
  KEYS[11]    failed                      KEYS[12] crash-requeues (hash sha1(payload) -> count)
  KEYS[13]    recovered:<worker id>       tombstones (hash token -> action, queue, bytes)
  KEYS[14]    inflight-mark:<worker id>   token of the last job started (deleted with the worker)
  KEYS[15..]  the jobs' queue:<name> and job:<id>:status keys, each once, referenced by index below
              (declared, so every key this script touches is in KEYS: on a Redis Cluster they share
              the namespace's hash tag, one slot)
  ARGV[1]     worker id
  ARGV[2]     queue key prefix, e.g. "resque:queue:" (checks each job's declared queue key)
  ARGV[3]     WAITING status JSON         ARGV[4] most crash requeues of one payload
  ARGV[5]     FAILED status JSON          ARGV[6] seconds a finished status lives
  ARGV[7]     '1' to unregister the worker once nothing is left in flight, '0' to keep it
  ARGV[8]     seconds a tombstone lives
  ARGV[9..]   six values per job:
                token
                index in KEYS of its status key, or 0 for none
                action: 'requeue', 'return' (never started) or 'fail'
                failure record head, tail (used for 'fail', and for 'requeue' once over the limit)
                index in KEYS of its queue key (queue:<name> of its in-flight entry, read before the
                call; an entry is never rewritten, so one whose queue differs is left in flight)
  ARGV[#ARGV] last: FAILED_MAX, most failure records `failed` keeps (oldest trimmed); 0 keeps all

  Returns {requeued, failed, returned}.
]]
local inflight, workerRecord, started = KEYS[1], KEYS[2], KEYS[3]
local workers, heartbeats, alive = KEYS[4], KEYS[5], KEYS[6]
local processedByWorker, failedByWorker, processed, failedCount = KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local failedList, crashRequeues, tombstones, mark = KEYS[11], KEYS[12], KEYS[13], KEYS[14]
local id, queuePrefix, waiting, maxRequeues, failedStatus, ttl, unregister, tombstoneTtl =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], ARGV[8]

local function tombstone(token, action, queue, bytes)
  redis.call('HSET', tombstones, token, action .. '\n' .. #queue .. '\n' .. queue .. bytes)
  redis.call('EXPIRE', tombstones, tombstoneTtl)
end

-- An in-flight entry is "\n" <byte length of queue> "\n" <queue> <raw> (exchange.lua writes it;
-- inflight-entry.ts); entries of older versions are "<queue>\n<raw>".
local function decodeEntry(entry)
  if string.byte(entry, 1) ~= 10 then
    local cut = string.find(entry, '\n', 1, true)
    return string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1)
  end
  local cut = string.find(entry, '\n', 2, true)
  local stop = cut + tonumber(string.sub(entry, 2, cut - 1))
  return string.sub(entry, cut + 1, stop), string.sub(entry, stop + 1)
end

local requeued, failed, returned = 0, 0, 0
local failedMax = tonumber(ARGV[#ARGV])
for i = 9, #ARGV - 1, 6 do
  local token, action, head, tail = ARGV[i], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local statusKey = ARGV[i + 1] == '0' and '' or KEYS[tonumber(ARGV[i + 1])]
  local queueKey = KEYS[tonumber(ARGV[i + 5])]
  local entry = redis.call('HGET', inflight, token)
  local queue, raw
  if entry then queue, raw = decodeEntry(entry) end
  if entry and queueKey == queuePrefix .. queue then
    redis.call('HDEL', inflight, token)
    if action == 'requeue' then
      local digest = redis.sha1hex(raw)
      if redis.call('HINCRBY', crashRequeues, digest, 1) > maxRequeues then
        redis.call('HDEL', crashRequeues, digest)
        action = 'fail'
      else
        redis.call('EXPIRE', crashRequeues, 86400)
      end
    end
    if action == 'requeue' or action == 'return' then
      redis.call('LPUSH', queueKey, raw)
      if statusKey ~= '' then redis.call('SET', statusKey, waiting, 'XX') end
      -- A late acknowledgement (exchange.lua) treats both alike: the queued copy is taken back.
      tombstone(token, 'requeue', queue, raw)
      if action == 'return' then returned = returned + 1 else requeued = requeued + 1 end
    else
      redis.call('RPUSH', failedList, head .. raw .. tail)
      tombstone(token, 'fail', queue, head .. raw .. tail)
      if statusKey ~= '' then redis.call('SET', statusKey, failedStatus, 'XX', 'EX', ttl) end
      redis.call('INCR', processed)
      redis.call('INCR', failedCount)
      failed = failed + 1
    end
  end
end
if failed > 0 and failedMax > 0 then redis.call('LTRIM', failedList, -failedMax, -1) end

if unregister == '1' and redis.call('HLEN', inflight) == 0 then
  redis.call('SREM', workers, id)
  redis.call('DEL', workerRecord, started, processedByWorker, failedByWorker, inflight, mark)
  redis.call('HDEL', heartbeats, id)
  redis.call('ZREM', alive, id)
end
return {requeued, failed, returned}
