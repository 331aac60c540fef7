"""The catalogue's server-side reads: one Redis Functions library, called with FCALL_RO.

A page's rows are read where they live, in one round trip: one function runs the
boxes' FT.AGGREGATE and reads every hash they return (HMGET and PTTL), the other reads
the hashes of given keys. They are a library loaded once by whoever applies the
schema (`index.apply`, the admin role), and the web role may only call them: an ACL
cannot limit which code EVAL or SCRIPT LOAD would run, so allowing those would hand
the gallery the Lua VM itself (a busy loop that blocks Redis, memory outside
`maxmemory`). The function names carry a hash of the library's code, so code of a
new release never calls an old library's functions by mistake: it finds them
missing and loads its own, or, without the right to, asks for `picat schema apply`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

import redis

_SOURCE = """#!lua name=picat

local SECRET = 'QUERY_SECRET'
local REFUSED = {TIMEOUT = true, WITHCURSOR = true, MAXIDLE = true, PARAMS = true}
local BLOBS = {'image_data', 'thumbnail'}

local function plain_replace(text, old, new)
  local at = string.find(text, old, 1, true)
  if not at then return text end
  return string.sub(text, 1, at - 1) .. new .. string.sub(text, at + #old)
end

-- FT.SEARCH or FT.AGGREGATE on `index`, with `args` (the query first) checked: the
-- server's time limit applies (no TIMEOUT), no cursor, no picture bytes (no field
-- named image_data or thumbnail, no LOAD *), and FT.SEARCH names what it returns
-- (NOCONTENT, RETURN, or no rows). It runs on the index's query alias, a name only
-- this code knows.
local function search(command, index, args)
  local name = string.upper(command)
  if name ~= 'FT.SEARCH' and name ~= 'FT.AGGREGATE' then
    return redis.error_reply('picat: only FT.SEARCH and FT.AGGREGATE may be run here')
  end
  local keys_only = false
  for i = 2, #args do
    local word = string.upper(args[i])
    local lower = string.lower(args[i])
    if REFUSED[word] or (word == 'LOAD' and args[i + 1] == '*') then
      return redis.error_reply('picat: ' .. word .. ' is not accepted: the server fixes '
        .. 'how long a search may run and what it may return')
    end
    for _, blob in ipairs(BLOBS) do
      if string.find(lower, blob, 1, true) then
        return redis.error_reply('picat: searches may not read ' .. blob)
      end
    end
    if word == 'NOCONTENT' or word == 'RETURN' then keys_only = true end
    if word == 'LIMIT' and args[i + 2] == '0' then keys_only = true end
  end
  if name == 'FT.SEARCH' and not keys_only then
    return redis.error_reply('picat: FT.SEARCH here must say NOCONTENT, RETURN or LIMIT n 0')
  end
  local alias = index .. ':q-' .. redis.sha1hex(SECRET .. index)
  local reply = redis.pcall(command, alias, unpack(args))
  if type(reply) == 'table' and reply.err then
    return redis.error_reply(plain_replace(reply.err, alias, index))
  end
  return reply
end

local function read_rows(keys, fields)
  local rows = {}
  for i, key in ipairs(keys) do
    local row = redis.call('HMGET', key, unpack(fields))
    row[#row + 1] = redis.call('PTTL', key)
    rows[i] = row
  end
  return rows
end

-- The boxes of a page, run in turn until their rows reach `need`: each an FT.AGGREGATE
-- that loads `@__key` and returns its rows in the page's exact order, so the page
-- needs one round trip however many boxes its summary-sized first guess misses by.
-- ARGV: need, the number of boxes, then per box its argument count and its arguments
-- (index first); then the fields to read of every row.
local function search_rows(_, args)
  local need, boxes, at = tonumber(args[1]), tonumber(args[2]), 3
  local replies, keys = {}, {}
  for b = 1, boxes do
    local count = tonumber(args[at])
    if #keys < need then
      local found = search('FT.AGGREGATE', args[at + 1], {unpack(args, at + 2, at + count)})
      if type(found) == 'table' and found.err then return found end
      local mine = {}
      for i = 2, #found do
        local row = found[i]
        for f = 1, #row, 2 do
          if row[f] == '__key' then mine[#mine + 1] = row[f + 1] end
        end
      end
      for _, key in ipairs(mine) do keys[#keys + 1] = key end
      replies[b] = mine
    end
    at = at + count + 1
  end
  return {replies, read_rows(keys, {unpack(args, at)})}
end

local function number(text)
  if text == '+inf' then return math.huge elseif text == '-inf' then return -math.huge end
  return tonumber(text)
end

local function walk(keys, args)
  local now, out = tonumber(args[1]), {}
  for w = 1, #keys - 4 do
    local a = 1 + (w - 1) * 7
    local prefix, start, target, most = args[a + 1], args[a + 2], tonumber(args[a + 4]),
                                        tonumber(args[a + 5])
    local lux_lo, lux_hi = number(args[a + 6]), number(args[a + 7])
    local filtered = lux_lo ~= -math.huge or lux_hi ~= math.huge
    local found, total, offset = {}, 0, 0
    while total < target and offset < most do
      local ids
      if args[a + 3] == 'desc' then
        ids = redis.call('ZRANGE', keys[w + 4], start, '-inf', 'BYSCORE', 'REV',
                         'LIMIT', offset, 64)
      else
        ids = redis.call('ZRANGE', keys[w + 4], start, '+inf', 'BYSCORE', 'LIMIT', offset, 64)
      end
      if #ids == 0 then break end
      offset = offset + #ids
      local fields = {}
      for i, id in ipairs(ids) do fields[i] = prefix .. id end
      local counts = redis.call('HMGET', keys[1], unpack(fields))
      local untils = redis.call('ZMSCORE', keys[2], unpack(fields))
      local highs, lows = {}, {}
      if filtered then
        highs = redis.call('ZMSCORE', keys[3], unpack(fields))
        lows = redis.call('ZMSCORE', keys[4], unpack(fields))
      end
      for i, id in ipairs(ids) do
        local n = tonumber(counts[i]) or 0
        if untils[i] and tonumber(untils[i]) < now then n = 0 end
        if filtered and not (highs[i] and tonumber(highs[i]) >= lux_lo
                             and tonumber(lows[i]) <= lux_hi) then n = 0 end
        found[#found + 1] = id
        found[#found + 1] = n
        total = total + n
        if total >= target then break end
      end
    end
    out[w] = found
  end
  return out
end

local function query(_, args)
  return search(args[1], args[2], {unpack(args, 3)})
end

redis.register_function{function_name = 'picat_read_rows_VERSION', callback = read_rows,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'picat_search_rows_VERSION', callback = search_rows,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'picat_walk_VERSION', callback = walk,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'picat_query_VERSION', callback = query,
                        flags = {'no-writes'}}
"""
VERSION = hashlib.sha256(_SOURCE.encode()).hexdigest()[:8]
LIBRARY = _SOURCE.replace("VERSION", VERSION)
"""`picat_read_rows_<v>`: KEYS the hashes, ARGV the fields; each key's HMGET with its
PTTL appended. `picat_search_rows_<v>`: no KEYS (ACL users may name the index to FT.*
commands only, which check it when the search runs); ARGV the rows needed, the number
of boxes, each box's argument count and its `FT.AGGREGATE` arguments (LOAD 1 @__key),
then the fields: the keys of each box run, in turn until they reach the need, and
`read_rows` of those keys. `picat_walk_<v>`: KEYS the summary's counts, expiries
and hourly lux extents (brightest, darkest), then one sorted set of buckets per walk;
ARGV the time, then per walk the count field prefix, the start bucket, `desc` or
`asc`, the target count, the most buckets to read and a lux range: per walk, bucket
and count pairs until the counts reach the target (`summary.walk`). `picat_query_<v>`:
ARGV a whole `FT.SEARCH` or `FT.AGGREGATE` command, run as `search` checks it.

The loaded code carries a secret (`QUERY_SECRET`, kept in the key `SECRET_KEY`, which
only the admin role may read): each index's query alias is `<index>:q-<sha1(secret,
index)>`, and the web role may run FT.SEARCH and FT.AGGREGATE on `<index>:q-*` only.
It cannot name the alias itself, so every search it makes goes through `search` here,
which refuses what would lift the server's time limit or read the pictures' bytes.
An ACL cannot do that alone: it grants a command, not some of its arguments, and a
function's commands are checked against its caller's rights."""


SECRET_KEY = "picat-secret:query"
QUERY = f"picat_query_{VERSION}"
"""For a pipeline: `pipe.fcall_ro(QUERY, 0, *argv)` runs one search as `call` would."""


def secret(r: redis.Redis) -> tuple[str, bool]:
    """The query secret, made now if there is none (then True): admin credentials only."""
    made = secrets.token_hex(16)
    created = bool(r.set(SECRET_KEY, made, nx=True))
    value = made if created else r.get(SECRET_KEY)
    return (value.decode() if isinstance(value, bytes) else str(value)), created


def query_alias(r: redis.Redis, index: str) -> str:
    """The name under which `search` runs queries on `index` (admin credentials only)."""
    value, _ = secret(r)
    return f"{index}:q-" + hashlib.sha1((value + index).encode()).hexdigest()


def _library(r: redis.Redis) -> tuple[str, bool]:
    value, created = secret(r)
    return LIBRARY.replace("QUERY_SECRET", value), created


def is_missing(exc: redis.ResponseError) -> bool:
    """Whether Redis refused an FCALL because this version of the library is not loaded."""
    return "function not found" in str(exc).lower()


def install(r: redis.Redis) -> bool:
    """Load (or replace) the library unless this version is there; True if it was loaded.

    Checking costs only FCALL_RO, so users who may not load it (the web role) can
    still confirm it is in place.
    """
    try:
        r.fcall_ro(f"picat_read_rows_{VERSION}", 0)
    except redis.ResponseError as exc:
        if not is_missing(exc):
            raise
    else:
        try:
            code, created = _library(r)
        except redis.exceptions.NoPermissionError:
            return False  # the web role: it may call the library, not load it
        if not created:
            return False
        r.function_load(code, replace=True)  # a new secret: the loaded code must have it
        return True
    r.function_load(_library(r)[0], replace=True)
    return True


def call(r: redis.Redis, name: str, keys: Sequence[str], args: Sequence[str]) -> Any:
    """FCALL_RO of one of the library's functions, loading the library first if it is
    missing and this user may; otherwise Redis's "Function not found" error stands."""
    function = f"picat_{name}_{VERSION}"
    try:
        return r.fcall_ro(function, len(keys), *keys, *args)
    except redis.ResponseError as exc:
        if not is_missing(exc):
            raise
        try:
            r.function_load(_library(r)[0], replace=True)
        except redis.exceptions.NoPermissionError:
            raise exc from None
        return r.fcall_ro(function, len(keys), *keys, *args)
