import type { Redis } from 'ioredis'

/**
 * The Lua scripts, each one atomic step in Redis. Registered with `defineCommand` (EVALSHA, and
 * EVAL again after a Redis restart flushed the script cache).
 */
const scripts = {
  /**
   * One block's commit: the read model's changes and the channels' publications, together.
   * ARGV: prefix, epoch, commit number ('' for a plain publish, not counted), fencing token ('' when
   * not leading), history size, ttl (s), recent launches kept, trades kept per token, publication count
   * N, N × (channel, wire text), then 4-field ops (op, a, b, text): the read model's (`price`, `risk`,
   * `holders`, `launch`, `trade`, `bucket`, their removals) and the indexer's (`row`/`unrow` table key, `record` number,
   * `dropAbove`/`finalize` number, `checkpoint`). Replies: the seqs given to the publications; `DUP`
   * for a commit already applied (a retry after a lost reply); an `EPOCH` error when the epoch is not
   * the caller's (Redis restarted empty); a `FENCED` error when another indexer leads.
   */
  cmwsCommit: {
    keys: 0,
    lua: `
local p = ARGV[1]
if redis.call('GET', p .. 'epoch') ~= ARGV[2] then return redis.error_reply('EPOCH the bus epoch changed') end
if ARGV[4] ~= '' then
  local fence = redis.call('GET', p .. 'ix:fence')
  if not fence then return redis.error_reply('NOFENCE the leadership is being restored') end
  if fence ~= ARGV[4] then return redis.error_reply('FENCED another indexer leads') end
end
if ARGV[3] ~= '' then
  local last = tonumber(redis.call('GET', p .. 'commit') or '0')
  local n = tonumber(ARGV[3])
  if n <= last then return redis.status_reply('DUP') end
  if n ~= last + 1 then return redis.error_reply('COMMIT expected commit ' .. (last + 1) .. ', got ' .. n) end
  redis.call('SET', p .. 'commit', n)
end
local history, ttl, recent, kept = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local now = tonumber(redis.call('TIME')[1])
local pubs = tonumber(ARGV[9])
local rm, ix = p .. 'rm:', p .. 'ix:'
local function records(keep)
  for _, n in ipairs(redis.call('HKEYS', ix .. 'records')) do
    if not keep(tonumber(n)) then redis.call('HDEL', ix .. 'records', n) end
  end
end
local i = 10 + 2 * pubs
while i <= #ARGV do
  local op, token, num, text = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if op == 'price' or op == 'risk' or op == 'holders' then
    redis.call('SET', rm .. op .. ':' .. token, text, 'EX', ttl)
    redis.call('ZADD', rm .. 'tokens', now, token)
  elseif op == 'launch' then
    redis.call('LPUSH', rm .. 'recent', text)
    redis.call('LTRIM', rm .. 'recent', 0, recent - 1)
    redis.call('SET', rm .. 'launch:' .. token, text, 'EX', ttl)
    redis.call('ZADD', rm .. 'tokens', now, token)
  elseif op == 'unlaunch' then
    redis.call('LREM', rm .. 'recent', 0, text)
    redis.call('DEL', rm .. 'launch:' .. token, rm .. 'price:' .. token, rm .. 'risk:' .. token, rm .. 'holders:' .. token)
  elseif op == 'trade' then
    redis.call('LPUSH', rm .. 'trades:' .. token, text)
    redis.call('LTRIM', rm .. 'trades:' .. token, 0, kept - 1)
    redis.call('EXPIRE', rm .. 'trades:' .. token, ttl)
    redis.call('ZADD', rm .. 'tokens', now, token)
  elseif op == 'untrade' then
    redis.call('LREM', rm .. 'trades:' .. token, 0, text)
  elseif op == 'bucket' then
    redis.call('ZREMRANGEBYSCORE', rm .. 'buckets:' .. token, num, num)
    redis.call('ZADD', rm .. 'buckets:' .. token, num, text)
    redis.call('EXPIRE', rm .. 'buckets:' .. token, ttl)
  elseif op == 'unbucket' then
    redis.call('ZREMRANGEBYSCORE', rm .. 'buckets:' .. token, num, num)
  elseif op == 'row' then
    redis.call('HSET', ix .. 't:' .. token, num, text)
  elseif op == 'unrow' then
    redis.call('HDEL', ix .. 't:' .. token, num)
  elseif op == 'record' then
    redis.call('HSET', ix .. 'records', num, text)
  elseif op == 'dropAbove' then
    records(function(n) return n <= tonumber(num) end)
  elseif op == 'finalize' then
    records(function(n) return n > tonumber(num) end)
  elseif op == 'checkpoint' then
    redis.call('SET', ix .. 'checkpoint', text)
  end
  i = i + 4
end
redis.call('ZREMRANGEBYSCORE', rm .. 'tokens', '-inf', '(' .. (now - ttl))
local seqs = {}
for k = 0, pubs - 1 do
  local channel, wire = ARGV[10 + 2 * k], ARGV[11 + 2 * k]
  local seq = redis.call('INCR', p .. 'seq:' .. channel)
  if history > 0 then redis.call('XADD', p .. 'stream:' .. channel, 'MAXLEN', history, seq .. '-0', 'm', wire) end
  redis.call('PUBLISH', p .. 'chan:' .. channel, seq .. '\\n' .. wire)
  seqs[#seqs + 1] = seq
end
return seqs`,
  },
  /**
   * Per-token items (price or risk) with the seq of their channel. ARGV: prefix, channel (\`prices\` or
   * \`risk\`), item key (\`price\` or \`risk\`), then tokens (none: every token). Reply: seq, then the
   * JSON texts of the known ones; a \`NOEPOCH\` error while the bus has no epoch (Redis emptied and the
   * indexer has not re-seeded it yet).
   */
  cmwsPerToken: {
    keys: 0,
    lua: `
local p, channel, item = ARGV[1], ARGV[2], ARGV[3]
if not redis.call('GET', p .. 'epoch') then return redis.error_reply('NOEPOCH the bus has no epoch') end
local out = { tonumber(redis.call('GET', p .. 'seq:' .. channel) or '0') }
local tokens = {}
if #ARGV > 3 then
  for i = 4, #ARGV do tokens[#tokens + 1] = ARGV[i] end
else
  tokens = redis.call('ZRANGE', p .. 'rm:tokens', 0, -1)
end
for i = 1, #tokens, 500 do
  local keys = {}
  for j = i, math.min(i + 499, #tokens) do keys[#keys + 1] = p .. 'rm:' .. item .. ':' .. tokens[j] end
  for _, v in ipairs(redis.call('MGET', unpack(keys))) do
    if v then out[#out + 1] = v end
  end
end
return out`,
  },
  /**
   * Takes a connection slot of a client IP across gateways. KEYS: ip hash, gateways set.
   * ARGV: this gateway, limit, now (ms), how long a gateway counts as alive without heartbeat (ms),
   * ttl of the ip hash (s). Counts of gateways that stopped heartbeating are dropped. Reply: 1 or 0.
   */
  cmwsAcquireIp: {
    keys: 2,
    lua: `
local me, limit, now, alive = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  local seen = redis.call('ZSCORE', KEYS[2], fields[i])
  if fields[i] == me or (seen and tonumber(seen) >= now - alive) then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
if total >= limit then return 0 end
redis.call('HINCRBY', KEYS[1], me, 1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1`,
  },
  /**
   * Takes the indexer lead if nobody holds it. KEYS: leader, fence. ARGV: this indexer's id, ttl (ms).
   * Reply: the new fencing token (incremented), or 0.
   */
  cmwsLead: {
    keys: 2,
    lua: `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end
return 0`,
  },
  /**
   * Keeps the lead. KEYS: leader, fence. ARGV: id, ttl (ms), fencing token. After Redis lost its data
   * (no lock and no fence, or the same fence) the lead is taken back with the same token. Reply: 1 if
   * this indexer still leads, 0 if another one does.
   */
  cmwsRenew: {
    keys: 2,
    lua: `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
local fence = redis.call('GET', KEYS[2])
if not holder and (not fence or fence == ARGV[3]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[3])
  return 1
end
return 0`,
  },
  /** Gives the lead up. KEYS: leader. ARGV: id. */
  cmwsResign: {
    keys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`,
  },
  /** Releases a slot taken by \`cmwsAcquireIp\`. KEYS: ip hash. ARGV: this gateway. */
  cmwsReleaseIp: {
    keys: 1,
    lua: `
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1`,
  },
} as const

export type ScriptName = keyof typeof scripts

const defined = new WeakSet<Redis>()

/**
 * Runs one of our scripts on `redis` (defining them on first use).
 *
 * @example
 * const [seq, ...prices] = (await runScript(redis, 'cmwsPerToken', [], ['cmws:', 'prices', 'price'])) as [number, ...string[]]
 */
export async function runScript(redis: Redis, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  if (!defined.has(redis)) {
    for (const [n, s] of Object.entries(scripts)) redis.defineCommand(n, { numberOfKeys: s.keys, lua: s.lua })
    defined.add(redis)
  }
  const command = (redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<unknown>>)[name]
  return command.call(redis, ...keys, ...args)
}
