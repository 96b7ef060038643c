--[[
  exchange: one round trip of a worker. First acknowledge the jobs it finished, then reserve up
  to N new ones, highest-priority queue first, recording each as in flight in the same atomic
  step, so a worker that dies after this call loses nothing: its jobs stay in its in-flight hash
  until it finishes them or someone recovers them. Either part may be empty.

  Acknowledging counts a job only while it is still in flight: if recovery already took it (the
  worker was presumed dead), it is skipped, so no job is counted twice. `worker:<id>` (resque-web's
  "working on" record) is written for the first job reserved, with the payload bytes unchanged,
  and deleted once nothing is in flight. A reserved job with a php-resque status key (a payload
  with a top-level "id", and resque/php-resque's "prefix") is marked RUNNING here, if the key exists.

  KEYS[1]     inflight:<worker id>        hash token -> "\n" <byte length of queue> "\n" <queue> <raw payload>
                                          (length-prefixed: a queue name may hold any byte; inflight-entry.ts)
  KEYS[2]     worker:<worker id>          {"queue","run_at","payload","worker"} while busy
  KEYS[3]     stat:processed              KEYS[4] stat:processed:<worker id>
  KEYS[5]     stat:failed                 KEYS[6] stat:failed:<worker id>
  KEYS[7]     failed                      list of failure records
  KEYS[8]     pause-all-workers           Ruby's global pause switch: "true" reserves nothing
  KEYS[9]     queues                      set of queue names (unused: the worker keeps the list of `*`)
  KEYS[10..]  queue:<name> lists to reserve from, in priority order (the worker passes those that may
              hold jobs: for `*`, the sorted names of `queues` it re-reads about once a second)
  KEYS[10+Q]  recovered:<worker id>       tombstones of jobs a recovery took from this worker (recover.lua)
  KEYS[11+Q]  wake                        wake-up stream (enqueue.lua): its last id is returned when
                                          the queues ran dry, so the worker waits from exactly there
  KEYS[12+Q..11+Q+L]  rate-limit:<name>   window counters of the L rate-limited queues passed (rate-limit.ts)
  ARGV[1]     most jobs to reserve (0: acknowledge only)
  ARGV[2]     token of the first job reserved; the next ones count up, skipping tokens in use
              (a command resent after a lost connection arrives with the same tokens)
  ARGV[3]     run_at JSON string, e.g. "2024-06-10T12:34:56Z" with its quotes
  ARGV[4]     '1' to return the wake-up stream's last id even when jobs were found (the worker skips
              queues it found empty until a wake-up), '' otherwise
  ARGV[5]     queue key prefix, e.g. "resque:queue:" (for '*')
  ARGV[6]     worker name JSON string ("host:pid"), node-resque's field
  ARGV[7]     now, epoch seconds (the "updated" of php-resque statuses)
  ARGV[8]     seconds a finished status lives (php-resque: 86400)
  ARGV[9]     Q, the number of queue names that follow
  ARGV[10]    status key head, e.g. "resque:job:"   ARGV[11] status key tail, ":status"
              (the key is head .. [prefix .. '_'] .. id .. tail, as keys.ts jobStatus builds it)
  ARGV[12..11+Q]  queue names, one per KEYS[10..]
  ARGV[12+Q]  L, the number of rate-limited queues among them; then three values for each, in the
              order of their KEYS: position of the queue among the Q (1-based), max, window ms
  then five values per finished job:
              token
              status key, or '' when the job is not tracked; '?' before it: the reservation found
                no key (see below), so report it 'unset' if it is still missing
              outcome: 'ok', 'fail' (record = head .. payload .. tail), 'fail-literal' (record = head .. tail),
                or 'return' (reserved, never started: back to the front of its queue, status WAITING)
              record head, record tail ('' for 'ok')
              or, for a final status to re-apply once its key exists: '', status key, 'recheck',
              code (3 or 4), ''  (reported 'applied' once written)
  ARGV[#ARGV] last: FAILED_MAX, most failure records `failed` keeps (oldest trimmed); 0 keeps all

  Returns a flat array: token, queue name, raw payload, status key, for each job reserved (empty if
  none); the status key is the one marked RUNNING, '' when the job has none ('?' .. key when the job
  has an id but no key yet and was the last of its queue: php-resque's enqueue may create it next) (so a worker that
  rejects the payload writes its FAILED status to the very key marked RUNNING). Then, for each late
  acknowledgement of a job another worker had already taken (1b), the four values '', 'taken', token, ''.
  Then, for each finished job whose status key is still missing: '', 'unset', status key, code
  (php-resque's enqueue may create it right after; the worker re-applies the code with 'recheck'
  for a few seconds), and for each recheck written: '', 'applied', status key, ''.
  Then, for each rate-limited queue whose window is full: '', 'limited', queue name, ms until the
  window ends. Then, when the first N queues passed gave nothing: '', 'empty', N, ''. Last, when fewer jobs than
  asked for were reserved (or ARGV[4] is '1'): '', 'wake', <last id of the wake-up stream or 0-0>, ''.
  Any entry added after that id names work that arrived after this reservation looked.
]]

-- cjson is laxer than JSON.parse and Ruby's JSON: it takes NaN, Infinity, hex and leading-zero
-- numbers, and raw control characters inside strings. Refuse those: a payload decoded here is
-- strict JSON. Raw tab/CR/LF are refused too, so a pretty-printed payload counts as not JSON
-- (in worker:<id> it is then shown as a JSON string: still valid, just not byte for byte).
-- The check is one anchored pass: an unanchored find restarts the matcher at every byte (about 4x
-- slower, and this runs once per job at concurrency 1).
local function decodeStrict(raw)
  if not string.find(raw, '^[^%z\1-\31]*$') then return nil end
  local ok, value = pcall(cjson.decode, raw)
  if ok then return value end
  return nil
end

-- The queue and raw payload of an in-flight entry (see KEYS[1]); entries of older versions are "<queue>\n<raw>".
local function entryParts(entry)
  if string.byte(entry, 1) ~= 10 then
    local cut = string.find(entry, '\n', 1, true)
    return string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1)
  end
  local cut = string.find(entry, '\n', 2, true)
  local stop = cut + tonumber(string.sub(entry, 2, cut - 1))
  return string.sub(entry, cut + 1, stop), string.sub(entry, stop + 1)
end

-- The first capture of the anchored `pattern` at an occurrence of `needle` (its literal start):
-- string.match(raw, unanchored pattern) would try the pattern at every byte; a plain find jumps
-- from one candidate to the next, with the same result.
local function matchAt(raw, needle, pattern)
  local at = string.find(raw, needle, 1, true)
  while at do
    local value = string.match(raw, pattern, at)
    if value then return value end
    at = string.find(raw, needle, at + 1, true)
  end
  return nil
end

local function entryPayload(entry)
  local _, raw = entryParts(entry)
  return raw
end

local inflight, workerRecord = KEYS[1], KEYS[2]
local processed, processedByWorker, failedCount, failedByWorker, failedList = KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local pauseAll, queuesSet = KEYS[8], KEYS[9]
local wanted, nextToken, runAt, watchWake, queuePrefix, workerName =
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now, ttl, queueCount, statusHead, statusTail = ARGV[7], ARGV[8], tonumber(ARGV[9]), ARGV[10], ARGV[11]
local firstToken = nextToken -- its text is ARGV[2]: the first job's token needs no number formatting

-- php-resque's status update, in the shape the key already has: chrisboulton writes
-- {"status","updated"}; resque/php-resque keeps "started" and has "result" (null here: return
-- values are not stored). Only an existing key is updated: untracked jobs have none. True if updated.
local function setStatus(key, code, finished)
  local old = redis.call('GET', key)
  if not old then return false end
  local value
  if string.find(old, '"result":', 1, true) then
    local started = string.match(old, '"started":(%d+)') or now
    value = '{"status":' .. code .. ',"updated":' .. now .. ',"started":' .. started .. ',"result":null}'
  else
    value = '{"status":' .. code .. ',"updated":' .. now .. '}'
  end
  if finished then redis.call('SET', key, value, 'EX', ttl) else redis.call('SET', key, value) end
  return true
end

-- 1b. late acknowledgement (the worker was presumed dead). Kept as one block: see recover.lua.
-- A token no longer in flight was taken by a recovery, which left a tombstone. The job did run to
-- its end here after all, so the records must end consistent and the job counted once:
--   failed by the recovery, completed here: that exact failure record is removed, stat:failed
--     undone, the status COMPLETE (stat:processed was counted by the recovery);
--   failed by the recovery, failed here too: it stays failed, counted once;
--   requeued and still queued: the copy is taken back (no second run), the outcome counted here;
--   requeued and already taken by another worker: it may run twice; each run is counted by
--     whoever finishes it.
-- Returns the counts to add: processed, failed.
local tombstones = KEYS[10 + queueCount]
local notices = {}
local function acknowledgeLate(token, statusKey, outcome, head, tail)
  local stone = redis.call('HGET', tombstones, token)
  if not stone then return 0, 0 end
  redis.call('HDEL', tombstones, token)
  local cut = string.find(stone, '\n', 1, true)
  local action = string.sub(stone, 1, cut - 1)
  local cut2 = string.find(stone, '\n', cut + 1, true)
  local length = tonumber(string.sub(stone, cut + 1, cut2 - 1))
  local queue = string.sub(stone, cut2 + 1, cut2 + length)
  local bytes = string.sub(stone, cut2 + length + 1)
  if action == 'fail' then
    -- The failure was false: undone even if its record already left the list (trimmed, retried).
    if outcome == 'ok' then
      redis.call('LREM', failedList, -1, bytes)
      redis.call('DECR', failedCount)
      if statusKey ~= '' then setStatus(statusKey, 4, true) end
    end
    return 0, 0
  end
  if redis.call('LREM', queuePrefix .. queue, 1, bytes) == 0 then
    notices[#notices + 1] = token
  end
  if outcome == 'ok' then
    if statusKey ~= '' then setStatus(statusKey, 4, true) end
    return 1, 0
  end
  if outcome == 'fail' then
    redis.call('RPUSH', failedList, head .. bytes .. tail)
  else
    redis.call('RPUSH', failedList, head .. tail)
  end
  if statusKey ~= '' then setStatus(statusKey, 3, true) end
  return 1, 1
end

-- 1. acknowledge
local done, failures = 0, 0
local failedMax = tonumber(ARGV[#ARGV])
local unset = {}
-- Rate-limited queues: position among the queues passed -> {counter key, max, window ms}.
local limits = {}
local limitCount = tonumber(ARGV[12 + queueCount])
for n = 1, limitCount do
  local at = 10 + queueCount + 3 * n
  limits[tonumber(ARGV[at])] = {KEYS[11 + queueCount + n], tonumber(ARGV[at + 1]), ARGV[at + 2]}
end
local finishedFrom = 13 + queueCount + 3 * limitCount

for i = finishedFrom, #ARGV - 1, 5 do
  local token, statusKey, outcome, head, tail = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local watch = string.byte(statusKey, 1) == 63 -- '?'
  if watch then statusKey = string.sub(statusKey, 2) end
  -- An 'ok' needs no payload: deleting the entry tells whether it was still in flight.
  local entry = false
  if token ~= '' then
    if outcome == 'ok' then entry = redis.call('HDEL', inflight, token) == 1
    else entry = redis.call('HGET', inflight, token) end
  end
  if token == '' then
    -- A final status to re-apply once its key exists (see the reservation's '?'), as SET XX would.
    if setStatus(statusKey, tonumber(head), true) then unset[#unset + 1] = {'applied', statusKey} end
  elseif outcome == 'return' then
    -- Reserved, never started: back to the front of its queue as it was, WAITING again (unless a
    -- recovery settled it meanwhile: then there is nothing left to give back).
    if entry then
      redis.call('HDEL', inflight, token)
      local queue, raw = entryParts(entry)
      redis.call('LPUSH', queuePrefix .. queue, raw)
      if statusKey ~= '' then setStatus(statusKey, 1, false) end
    end
  elseif entry then
    if outcome ~= 'ok' then redis.call('HDEL', inflight, token) end
    done = done + 1
    local code = outcome == 'ok' and 4 or 3
    if outcome ~= 'ok' then
      failures = failures + 1
      if outcome == 'fail' then
        redis.call('RPUSH', failedList, head .. entryPayload(entry) .. tail)
      else
        redis.call('RPUSH', failedList, head .. tail)
      end
    end
    if statusKey ~= '' and not setStatus(statusKey, code, true) and watch then
      unset[#unset + 1] = {'unset', statusKey, code}
    end
  else
    local lateDone, lateFailed = acknowledgeLate(token, statusKey, outcome, head, tail)
    done, failures = done + lateDone, failures + lateFailed
  end
end
if done > 0 then
  redis.call('INCRBY', processed, done)
  redis.call('INCRBY', processedByWorker, done)
end
if failures > 0 then
  redis.call('INCRBY', failedCount, failures)
  redis.call('INCRBY', failedByWorker, failures)
  if failedMax > 0 then redis.call('LTRIM', failedList, -failedMax, -1) end
end

-- 2. reserve
local taken = {}
local limited = {}
local leadingEmpty = 0
if wanted > 0 and redis.call('GET', pauseAll) ~= 'true' then
  -- cjson's number setting is shared by every script on this Redis: restore it afterwards.
  local lax = cjson.decode_invalid_numbers()
  cjson.decode_invalid_numbers(false)
  local names, keys = {}, {}
  for i = 1, queueCount do
    keys[i] = KEYS[9 + i]
    names[i] = ARGV[11 + i]
  end
  for i, key in ipairs(keys) do
    if wanted <= 0 then break end
    -- A rate-limited queue gives at most what is left of its window (fixed, on Redis's clock).
    local limit, take = limits[i], wanted
    if limit then
      local used = tonumber(redis.call('GET', limit[1]) or '0')
      take = math.min(wanted, limit[2] - used)
      if take <= 0 then
        local left = redis.call('PTTL', limit[1])
        if left < 0 then -- a window without expiry (should not happen): end it now
          redis.call('PEXPIRE', limit[1], limit[3])
          left = tonumber(limit[3])
        end
        limited[#limited + 1] = {names[i], left}
      end
    end
    local jobs = take > 0 and redis.call('LPOP', key, take)
    if jobs and limit then
      if redis.call('INCRBY', limit[1], #jobs) == #jobs then redis.call('PEXPIRE', limit[1], limit[3]) end
    end
    if not jobs and #taken == 0 then leadingEmpty = i end
    if jobs then
      for n, raw in ipairs(jobs) do
        if #taken == 0 then
          -- The payload goes in byte for byte; one that is not JSON goes in as a JSON string,
          -- so resque-web can still read the record (the worker will fail that job with a reason).
          local payload = raw
          if decodeStrict(raw) == nil then payload = cjson.encode(raw) end
          redis.call('SET', workerRecord, '{"queue":' .. cjson.encode(names[i]) .. ',"run_at":' .. runAt ..
            ',"payload":' .. payload .. ',"worker":' .. workerName .. '}')
        end
        -- php-resque puts the top-level "id" (and resque/php-resque's "prefix") after "args": an
        -- id followed by no bracket up to the closing brace is top-level, not one nested in args.
        -- Matching beats decoding every payload; an unusual key order only skips RUNNING.
        local id = matchAt(raw, '"id":"', '^"id":"([^"\\]+)"[^{}%[%]]*}%s*$')
        local statusKey = ''
        if id then
          local prefix = matchAt(raw, '"prefix":"', '^"prefix":"([^"\\]*)"[^{}%[%]]*}%s*$') or ''
          if prefix ~= '' then prefix = prefix .. '_' end
          statusKey = statusHead .. prefix .. id .. statusTail
          if not setStatus(statusKey, 2, false) then
            -- No status key yet. php-resque's enqueue RPUSHes first and creates the key right after:
            -- a job taken from the tail of its queue may be in that gap ('?': watch for the key).
            -- A job with others queued behind it was pushed before them, so its key exists if any.
            if n == #jobs and (#jobs < take or redis.call('LLEN', key) == 0) then
              statusKey = '?' .. statusKey
            else
              statusKey = ''
            end
          end
        end
        local token = nextToken == firstToken and ARGV[2] or tostring(nextToken)
        local entry = '\n' .. #names[i] .. '\n' .. names[i] .. raw
        while redis.call('HSETNX', inflight, token, entry) == 0 do
          nextToken = nextToken + 1
          token = tostring(nextToken)
        end
        nextToken = nextToken + 1
        taken[#taken + 1] = token
        taken[#taken + 1] = names[i]
        taken[#taken + 1] = raw
        taken[#taken + 1] = statusKey
      end
      wanted = wanted - #jobs
    end
  end
  cjson.decode_invalid_numbers(lax)
end

local dry = wanted > 0
if #taken == 0 and done > 0 and redis.call('HLEN', inflight) == 0 then redis.call('DEL', workerRecord) end
for _, token in ipairs(notices) do
  taken[#taken + 1] = ''
  taken[#taken + 1] = 'taken'
  taken[#taken + 1] = token
  taken[#taken + 1] = ''
end
for _, notice in ipairs(unset) do
  taken[#taken + 1] = ''
  taken[#taken + 1] = notice[1]
  taken[#taken + 1] = notice[2]
  taken[#taken + 1] = tostring(notice[3] or '')
end
for _, full in ipairs(limited) do
  taken[#taken + 1] = ''
  taken[#taken + 1] = 'limited'
  taken[#taken + 1] = full[1]
  taken[#taken + 1] = tostring(full[2])
end
if leadingEmpty > 0 then
  taken[#taken + 1] = ''
  taken[#taken + 1] = 'empty'
  taken[#taken + 1] = tostring(leadingEmpty)
  taken[#taken + 1] = ''
end
if dry or watchWake == '1' then
  local last = redis.call('XREVRANGE', KEYS[11 + queueCount], '+', '-', 'COUNT', 1)[1]
  taken[#taken + 1] = ''
  taken[#taken + 1] = 'wake'
  taken[#taken + 1] = last and last[1] or '0-0'
  taken[#taken + 1] = ''
end
return taken
