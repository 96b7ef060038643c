--[[
  find-outcome: the recorded outcome of one job, from the results buckets that may hold it
  (publish-outcomes.lua writes them; the reader passes every bucket of the last EVENT_RESULT_TTL).

  KEYS[1..]   results:<bucket>, newest first
  ARGV[1]     job id

  Returns the outcome record (JSON text), or false when no bucket has it.
]]
for _, bucket in ipairs(KEYS) do
  local record = redis.call('HGET', bucket, ARGV[1])
  if record then return record end
end
return false
