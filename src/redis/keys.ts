import type { Channel } from '../protocol/items.js'

/**
 * Every Redis key this server uses, under one prefix (`REDIS_PREFIX`, default `cmws:`) so that two
 * deployments can share a Redis. The layout:
 *
 * | key | type | what |
 * |---|---|---|
 * | `epoch` | string | the bus's numbering; gone when Redis lost its data |
 * | `commit` | string | number of the last committed block step (a resent commit is recognised) |
 * | `seq:<channel>` | string | the channel's newest seq |
 * | `stream:<channel>` | stream | the channel's history, entry id `<seq>-0`, trimmed to ~`HISTORY_SIZE` |
 * | `chan:<channel>` | Pub/Sub channel | live messages: `<seq>\n<publication>` |
 * | `rm:tokens` | sorted set | tokens of the read model, scored by last write (Unix s) |
 * | `rm:recent` | list | recent launches' JSON, newest first |
 * | `rm:price:<token>` | string | the token's current price item |
 * | `rm:risk:<token>` | string | the token's current risk item |
 * | `rm:holders:<token>` | string | the token's largest holders (JSON list) |
 * | `rm:launch:<token>` | string | the token's launch item |
 * | `rm:trades:<token>` | list | the token's recent trades, newest first |
 * | `rm:buckets:<token>` | sorted set | the token's minute buckets (JSON), scored by minute |
 * | `gateways` | sorted set | live gateway ids, scored by last heartbeat (ms) |
 * | `ip:<address>` | hash | open connections of a client IP, per gateway id |
 * | `ix:t:<table>` | hash | the indexer's state, one hash per table (`indexer/state.ts`), values JSON |
 * | `ix:records` | hash | block number → what a reorg of that unfinalized block must undo and retract |
 * | `ix:checkpoint` | string | the last committed block and the unfinalized window (JSON) |
 * | `ix:leader` | string | the leading indexer's id, with a TTL (`LEADER_TTL_MS`) it renews |
 * | `ix:fence` | string | fencing token, incremented at each new leadership; every commit checks it |
 */
export type RedisKeys = ReturnType<typeof redisKeys>

export function redisKeys(prefix: string) {
  return {
    prefix,
    epoch: `${prefix}epoch`,
    commit: `${prefix}commit`,
    seq: (channel: Channel) => `${prefix}seq:${channel}`,
    stream: (channel: Channel) => `${prefix}stream:${channel}`,
    pubsub: (channel: Channel) => `${prefix}chan:${channel}`,
    readModel: `${prefix}rm:`,
    tokens: `${prefix}rm:tokens`,
    recent: `${prefix}rm:recent`,
    price: (token: string) => `${prefix}rm:price:${token}`,
    risk: (token: string) => `${prefix}rm:risk:${token}`,
    holders: (token: string) => `${prefix}rm:holders:${token}`,
    launch: (token: string) => `${prefix}rm:launch:${token}`,
    trades: (token: string) => `${prefix}rm:trades:${token}`,
    buckets: (token: string) => `${prefix}rm:buckets:${token}`,
    gateways: `${prefix}gateways`,
    ip: (address: string) => `${prefix}ip:${address}`,
    ix: {
      table: (name: string) => `${prefix}ix:t:${name}`,
      records: `${prefix}ix:records`,
      checkpoint: `${prefix}ix:checkpoint`,
      leader: `${prefix}ix:leader`,
      fence: `${prefix}ix:fence`,
    },
  }
}
