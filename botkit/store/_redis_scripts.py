"""Lua scripts of the Redis store: each is one atomic step and one round trip.

Scripts start with ``#!lua`` (Redis 7+): Redis then refuses a writing script up front when it is
out of memory or a read-only replica, so a script never stops half way for those reasons.
Lease bookkeeping is marked ``allow-oom``: renewing or giving back a lease must work even when
Redis is full, or a busy instance would lose its partitions exactly when it matters.
"""

from __future__ import annotations

# KEYS: quarantine stream, then (seen key, partition stream) per record.
# ARGV: dedupe ttl (s), received_at, record count, then (key, kind, conversation, occurred_at,
#       payload) per record, then (reason, fragment) per reject.
# The key is checked, the event added, and only then the key marked seen: should a command fail
# half way, nothing is marked seen that is not stored, so Meta's retry stores the rest.
APPEND = """#!lua
local ttl, now, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local accepted = 0
for i = 1, count do
  local seen, stream, a = KEYS[2 * i], KEYS[2 * i + 1], 3 + (i - 1) * 5
  if redis.call('EXISTS', seen) == 0 then
    redis.call('XADD', stream, '*', 'key', ARGV[a + 1], 'kind', ARGV[a + 2],
               'conversation', ARGV[a + 3], 'occurred_at', ARGV[a + 4],
               'payload', ARGV[a + 5], 'received_at', now)
    redis.call('SET', seen, '1', 'EX', ttl)
    accepted = accepted + 1
  end
end
for r = 4 + count * 5, #ARGV, 2 do
  redis.call('XADD', KEYS[1], '*', 'reason', ARGV[r], 'kind', 'body', 'payload', ARGV[r + 1],
             'received_at', now)
end
return accepted
"""

# KEYS: partition stream, ledger hash, dead-letter stream, history stream.
# ARGV: group, entry id, ledger ttl (s), now, event key, kind, payload (needed when a delivery
#       is dead or history is kept), conversation, received_at, final state, attempt, history
#       length (0: none kept), then (plugin, ledger row JSON, state, attempts, error) per
#       delivery.
SETTLE = """#!lua
local rows = 0
for i = 13, #ARGV, 5 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  rows = rows + 1
  if ARGV[i + 2] == 'dead' then
    redis.call('XADD', KEYS[3], '*', 'key', ARGV[5], 'kind', ARGV[6], 'plugin', ARGV[i],
               'error', ARGV[i + 4], 'attempts', ARGV[i + 3], 'payload', ARGV[7],
               'failed_at', ARGV[4], 'conversation', ARGV[8], 'received_at', ARGV[9])
  end
end
if rows > 0 then
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
if tonumber(ARGV[12]) > 0 then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[12], '*', 'key', ARGV[5], 'kind', ARGV[6],
             'conversation', ARGV[8], 'received_at', ARGV[9], 'state', ARGV[10],
             'attempts', ARGV[11], 'settled_at', ARGV[4], 'payload', ARGV[7])
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return rows
"""

# KEYS: ledger hash. ARGV: ttl (s), plugin, ledger row JSON.
RECORD_DELIVERY = """#!lua
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""

# KEYS: partition stream, quarantine stream.
# ARGV: group, entry id, reason, kind, key, payload, now, conversation.
QUARANTINE_EVENT = """#!lua
redis.call('XADD', KEYS[2], '*', 'reason', ARGV[3], 'kind', ARGV[4], 'key', ARGV[5],
           'payload', ARGV[6], 'received_at', ARGV[7], 'conversation', ARGV[8])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
"""

# KEYS: instances sorted set. ARGV: instance id, lease (ms).
# Scores are expiry times on Redis's clock, so instances need not agree on the time.
# Returns how many instances are alive.
HEARTBEAT = """#!lua flags=allow-oom
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return redis.call('ZCARD', KEYS[1])
"""

# KEYS: lease keys this instance believes it holds. ARGV: instance id, lease (ms).
# Returns the 1-based positions of the leases still held (and now extended).
RENEW = """#!lua flags=allow-oom
local kept = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    kept[#kept + 1] = i
  end
end
return kept
"""

# KEYS: candidate lease keys in order of preference. ARGV: instance id, lease (ms), how many.
# Returns the 1-based positions of the leases taken.
ACQUIRE = """#!lua
local taken, wanted = {}, tonumber(ARGV[3])
for i, key in ipairs(KEYS) do
  if #taken >= wanted then
    break
  end
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    taken[#taken + 1] = i
  end
end
return taken
"""

# KEYS: lease keys to give back. ARGV: instance id. Only leases still held are deleted.
RELEASE = """#!lua flags=allow-oom
local released = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
    released = released + 1
  end
end
return released
"""
