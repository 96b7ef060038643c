--[[
  reserve: take up to N jobs for one worker, highest-priority queue first, and record each as
  in flight in the same atomic step, so a worker that dies after this call loses nothing: its
  jobs stay in its in-flight hash until it finishes them or someone recovers them.
  Also writes resque-web's `worker:<id>` record for the first job, with the payload bytes unchanged.

  KEYS[1]     inflight:<worker id>        hash token -> "<queue>\n<raw payload>"
  KEYS[2]     worker:<worker id>          {"queue","run_at","payload","worker"} while busy
  KEYS[3]     pause-all-workers           Ruby's global pause switch: "true" takes nothing
  KEYS[4]     queues                      set of queue names, read when ARGV[4] is '*'
  KEYS[5..]   queue:<name> lists in priority order (unused when ARGV[4] is '*')
  ARGV[1]     most jobs to take
  ARGV[2]     token of the first job taken; the next ones count up from it, skipping tokens in use
  ARGV[3]     run_at JSON string, e.g. "2024-06-10T12:34:56Z" with its quotes
  ARGV[4]     '*' to take from every queue in `queues`, sorted by name; '' otherwise
  ARGV[5]     queue key prefix, e.g. "resque:queue:" (for '*')
  ARGV[6]     worker name JSON string ("host:pid"), node-resque's field
  ARGV[7..]   queue names, one per KEYS[5..]

  Returns a flat array: token, queue name, raw payload, for each job taken (empty if none).
]]
local inflight, workerRecord, pauseAll, queuesSet = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local wanted, nextToken, runAt, wildcard, queuePrefix, workerName =
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6]

if redis.call('GET', pauseAll) == 'true' then return {} end

local names, keys = {}, {}
if wildcard == '*' then
  names = redis.call('SMEMBERS', queuesSet)
  table.sort(names)
  for i, name in ipairs(names) do keys[i] = queuePrefix .. name end
else
  for i = 5, #KEYS do
    keys[#keys + 1] = KEYS[i]
    names[#names + 1] = ARGV[i + 2]
  end
end

local taken = {}
for i, key in ipairs(keys) do
  if wanted <= 0 then break end
  local jobs = redis.call('LPOP', key, wanted)
  if jobs then
    for _, raw in ipairs(jobs) do
      if #taken == 0 then
        redis.call('SET', workerRecord, '{"queue":' .. cjson.encode(names[i]) .. ',"run_at":' .. runAt ..
          ',"payload":' .. raw .. ',"worker":' .. workerName .. '}')
      end
      -- A command resent after a lost connection arrives with the same tokens: never overwrite
      -- an entry already in flight, take the next free token instead (the reply carries it).
      local token = tostring(nextToken)
      while redis.call('HSETNX', inflight, token, names[i] .. '\n' .. raw) == 0 do
        nextToken = nextToken + 1
        token = tostring(nextToken)
      end
      nextToken = nextToken + 1
      taken[#taken + 1] = token
      taken[#taken + 1] = names[i]
      taken[#taken + 1] = raw
    end
    wanted = wanted - #jobs
  end
end
return taken
