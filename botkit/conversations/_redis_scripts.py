"""Lua scripts of the conversation store on Redis: each is one atomic step.

A script checks everything that could refuse it before its first write, because Redis does not
undo the writes of a script that stops half way. Events are appended by the event store's own
append script, included here as a Lua function, so an event committed with a handler's changes
or fired by a timer is deduplicated and partitioned exactly like one that came from Meta.

Floats that are stored (due times, deadlines, timestamps) travel as strings and are stored as
given: Lua would round numbers it formats to 14 digits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from botkit.store.redis import APPEND_SCRIPT


def _as_function(name: str, source: str) -> str:
    """A script of the event store as a local Lua function taking its KEYS and ARGV."""
    lines = source.strip().splitlines()
    if lines and lines[0].startswith("#!"):
        lines = lines[1:]
    return f"local function {name}(KEYS, ARGV)\n" + "\n".join(lines) + "\nend\n"


HELPERS = _as_function("store_append", APPEND_SCRIPT) + """
-- Hands out consecutive parts of KEYS or ARGV: take(n) is the next n values.
local function reader(list)
  local pos = 0
  return function(n)
    local out = {}
    for i = 1, n do
      out[i] = list[pos + i]
    end
    pos = pos + n
    return out
  end
end

-- Optional arguments are '' (none) or '=' followed by the value.
local function optional(value)
  if value == '' then
    return nil
  end
  return string.sub(value, 2)
end

-- A pending timer leaves every index at once; false when it was not pending any more.
local function drop_timer(due, specs, index, id)
  if redis.call('ZREM', due, id) == 0 then
    return false
  end
  redis.call('ZREM', index, id)
  redis.call('HDEL', specs, id)
  return true
end

local function write_mode(row, humans, conversation, mode, deadline, by, reason, now)
  redis.call('HDEL', row, 'handoff_until', 'handoff_by', 'handoff_reason')
  redis.call('HSET', row, 'mode', mode, 'updated_at', now)
  if mode == 'human' then
    local fields = {{'handoff_until', deadline}, {'handoff_by', by}, {'handoff_reason', reason}}
    for _, pair in ipairs(fields) do
      local value = optional(pair[2])
      if value then
        redis.call('HSET', row, pair[1], value)
      end
    end
    redis.call('ZADD', humans, now, conversation)
  else
    redis.call('ZREM', humans, conversation)
  end
end

-- A conversation row lives `keep` seconds after its last change, or as long as a person has
-- the conversation; the customer's index keeps each entry as long as its row.
local function keep_row(row, customers, conversation, keep)
  local now = tonumber(redis.call('TIME')[1])
  if redis.call('HGET', row, 'mode') == 'human' then
    redis.call('PERSIST', row)
    redis.call('ZADD', customers, '+inf', conversation)
  else
    redis.call('EXPIRE', row, keep)
    redis.call('ZADD', customers, now + tonumber(keep), conversation)
  end
  redis.call('ZREMRANGEBYSCORE', customers, '-inf', '(' .. now)
  local last = redis.call('ZRANGE', customers, -1, -1, 'WITHSCORES')
  if last[2] == 'inf' then
    redis.call('PERSIST', customers)
  else
    redis.call('EXPIREAT', customers, math.ceil(tonumber(last[2])))
  end
end
"""

# KEYS: handling hash, conversation row, humans, customer index, dialog hash, due timers,
#       timer specs, the conversation's timers; then the conversation's timers of each cancelled
#       id and of each new timer; then the event store's append keys.
# ARGV: plugin, handled field, now, handling ttl, keep (s), state action ('', 'set',
#       'delete'), state value, dialog ttl, mode ('' or the new mode), until, by, reason
#       (optional values), conversation; counts of names, cancelled ids, new timers, outbox
#       field/value pairs, append keys and append args; then the names, the cancelled ids,
#       (id, due_at, spec) per new timer, the outbox pairs and the append args.
# Returns 1; 0 when the plugin handled the event already, -1 when a new timer's id is taken.
COMMIT = """
local key, arg = reader(KEYS), reader(ARGV)
local handling, row, humans, customers, dialog, due, specs, timers = unpack(key(8))
local plugin, handled, now, ttl, keep, action, state, dialog_ttl = unpack(arg(8))
local mode, deadline, by, reason, conversation = unpack(arg(5))
local counts = arg(6)
local names, cancelled = arg(tonumber(counts[1])), arg(tonumber(counts[2]))
local new, outbox = arg(3 * tonumber(counts[3])), arg(2 * tonumber(counts[4]))
local cancelled_indexes, new_indexes = key(#cancelled), key(#new / 3)
local append_keys, append_args = key(tonumber(counts[5])), arg(tonumber(counts[6]))

if redis.call('HEXISTS', handling, handled) == 1 then
  return 0
end
for i = 1, #new, 3 do
  if redis.call('HEXISTS', specs, new[i]) == 1 then
    return -1
  end
end

redis.call('HSET', handling, handled, now)
for i = 1, #outbox, 2 do
  redis.call('HSET', handling, outbox[i], outbox[i + 1])
end
redis.call('EXPIRE', handling, ttl)
if action == 'delete' then
  redis.call('HDEL', dialog, plugin)
elseif action == 'set' then
  redis.call('HSET', dialog, plugin, state)
  if redis.call('TTL', dialog) < tonumber(dialog_ttl) then
    redis.call('EXPIRE', dialog, dialog_ttl)
  end
end
for _, name in ipairs(names) do
  for _, id in ipairs(redis.call('ZRANGE', timers, 0, -1)) do
    local spec = redis.call('HGET', specs, id)
    if spec then
      local timer = cjson.decode(spec)
      if timer.plugin == plugin and timer.name == name then
        drop_timer(due, specs, timers, id)
      end
    end
  end
end
for i, id in ipairs(cancelled) do
  drop_timer(due, specs, cancelled_indexes[i], id)
end
for i = 1, #new, 3 do
  local id, due_at = new[i], new[i + 1]
  redis.call('ZADD', due, due_at, id)
  redis.call('ZADD', new_indexes[(i + 2) / 3], due_at, id)
  redis.call('HSET', specs, id, new[i + 2])
end
if mode ~= '' then
  write_mode(row, humans, conversation, mode, deadline, by, reason, now)
  keep_row(row, customers, conversation, keep)
end
if #append_args > 0 then
  store_append(append_keys, append_args)
end
return 1
"""

# KEYS: due timers, timer specs, then per timer: its conversation's timers and its append keys.
# ARGV: per timer: its id, how many append keys and append args it has, then the append args.
# A timer another caller fired or cancelled meanwhile is skipped. Returns how many fired.
FIRE = """
local key, arg = reader(KEYS), reader(ARGV)
local due, specs = unpack(key(2))
local fired = 0
while true do
  local head = arg(3)
  if head[1] == nil then
    break
  end
  local index = key(1)[1]
  local append_keys, append_args = key(tonumber(head[2])), arg(tonumber(head[3]))
  if drop_timer(due, specs, index, head[1]) then
    store_append(append_keys, append_args)
    fired = fired + 1
  end
end
return fired
"""

# KEYS: due timers, timer specs, the timer's conversation's timers. ARGV: timer id.
CANCEL = """
if drop_timer(KEYS[1], KEYS[2], KEYS[3], ARGV[1]) then
  return 1
end
return 0
"""

# KEYS: conversation row, humans, customer index.
# ARGV: conversation, mode, until, by, reason (optional values), now, keep (s).
# Returns {1 when written, the mode before, handoff_until before ('' when none)}.
SET_MODE = """
local before = redis.call('HMGET', KEYS[1], 'mode', 'handoff_until')
local was = before[1] or 'bot'
if ARGV[2] == 'bot' and was ~= 'human' then
  return {0, was, ''}
end
write_mode(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
keep_row(KEYS[1], KEYS[3], ARGV[1], ARGV[7])
return {1, was, before[2] or ''}
"""

# KEYS: conversation row, customer index. ARGV: conversation, timestamp, keep (s).
NOTE_INBOUND = """
local last = redis.call('HGET', KEYS[1], 'last_inbound_at')
if not last or tonumber(last) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'last_inbound_at', ARGV[2])
end
redis.call('HSETNX', KEYS[1], 'updated_at', ARGV[2])
keep_row(KEYS[1], KEYS[2], ARGV[1], ARGV[3])
return 1
"""

# KEYS: handling hash. ARGV: item field, status field, status value, ttl (s).
# An item that was never committed stays unknown.
MARK_SENT = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class Script:
    """A script's full source (shebang and helpers included) and the SHA1 Redis knows it by."""

    body: str
    source: str = field(init=False)
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        source = "#!lua\n" + HELPERS + self.body
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "sha", hashlib.sha1(source.encode()).hexdigest())


SCRIPTS = {name: Script(body) for name, body in (
    ("commit", COMMIT), ("fire", FIRE), ("cancel", CANCEL), ("set_mode", SET_MODE),
    ("note_inbound", NOTE_INBOUND), ("mark_sent", MARK_SENT))}
