--[[
  act-on-failed: remove failure records, or retry them (push each record's job back onto its queue,
  then remove the record), each named by its index and the sha1 of its bytes. A record is acted on
  only while it is still the same record at that index, so a list changed by someone else since the
  caller read it (a removal shifts indexes) never makes us act on the wrong record: such a record is
  counted as changed and left alone. Records are marked with a tombstone and removed in one LREM, as
  Ruby's Failure.remove does (LSET then LREM).

  KEYS[1]     failed (list)               KEYS[2] queues (set)
  ARGV[1]     'retry' or 'remove'
  ARGV[2]     queue key prefix            ARGV[3] wake-up stream (keys.ts wake; '' for none)
  ARGV[4]     tombstone: a text no record holds (random per call)
  ARGV[5..]   four per record: index, sha1 of the record, its queue and its job's payload bytes
              (queue and payload are '' in 'remove' mode)

  Returns {acted, changed}: records removed (and, when retrying, pushed), and records left alone
  because the list no longer held them at their index.
]]
local failed, queues = KEYS[1], KEYS[2]
local mode, queuePrefix, wake, tombstone = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local acted, changed = 0, 0
local woken = {}
for i = 5, #ARGV, 4 do
  local index = tonumber(ARGV[i])
  local record = redis.call('LINDEX', failed, index)
  if record and redis.sha1hex(record) == ARGV[i + 1] then
    redis.call('LSET', failed, index, tombstone)
    if mode == 'retry' then
      local queue = ARGV[i + 2]
      redis.call('SADD', queues, queue)
      redis.call('RPUSH', queuePrefix .. queue, ARGV[i + 3])
      woken[queue] = true
    end
    acted = acted + 1
  else
    changed = changed + 1
  end
end
if acted > 0 then redis.call('LREM', failed, acted, tombstone) end
if wake ~= '' then
  for queue in pairs(woken) do redis.call('XADD', wake, 'MAXLEN', '~', 100, '*', 'q', queue) end
end
return {acted, changed}
