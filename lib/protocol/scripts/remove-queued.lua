--[[
  remove-queued: remove one waiting job from a queue, named by its position and the sha1 of its
  bytes. It is removed only while the same bytes are still at that position (jobs taken from the
  head shift positions; another copy of the same payload elsewhere is never touched), marked with a
  tombstone and removed in one LREM, as act-on-failed.lua does for failure records.

  KEYS[1]     queue:<name> (list)
  ARGV[1]     position (0 = next to run)
  ARGV[2]     sha1 of the job's bytes
  ARGV[3]     tombstone: a text no job holds (random per call)

  Returns 1 when removed, 0 when that position no longer holds those bytes.
]]
local queue = KEYS[1]
local position, digest, tombstone = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local job = redis.call('LINDEX', queue, position)
if not job or redis.sha1hex(job) ~= digest then return 0 end
redis.call('LSET', queue, position, tombstone)
redis.call('LREM', queue, 1, tombstone)
return 1
