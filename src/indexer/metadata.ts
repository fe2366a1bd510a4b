import type { BlockEvent } from '../chain/events.js'
import type { TokenMeta } from '../market/book.js'
import { pairRole, type QuoteConfig } from '../market/pairs.js'
import type { IndexerState } from './state.js'

/**
 * A traded token's `totalSupply` is read again when its last reading is this many blocks old
 * (~1 h on Core), so market caps follow mints, burns and deflationary transfers.
 */
export const SUPPLY_REFRESH_BLOCKS = 1200

/** Which tokens of a block need a read before its step: full metadata (new), or a fresh supply. */
export type TokensToRead = { full: string[]; supply: string[] }

/** Reads token metadata for a block (I/O, outside the step). */
export type MetadataReader = {
  /** Full metadata of `full`; `totalSupply` at `block` of `supply` (other fields unread). */
  read(tokens: TokensToRead, block: bigint): Promise<Map<string, TokenMeta>>
}

/**
 * The tokens and stablecoins a block's logs touch whose metadata the state lacks, and the traded
 * tokens whose supply reading is stale.
 *
 * @example
 * tokensToRead(state, event, quotes) // { full: ['0xNew…'], supply: ['0xOld…'] }
 */
export function tokensToRead(state: IndexerState, event: BlockEvent, quotes: QuoteConfig): TokensToRead {
  const full = new Set<string>()
  const supply = new Set<string>()
  const block = Number(event.block.number)
  for (const log of event.logs) {
    if (log.kind === 'tokenCreated' || log.kind === 'transfer') continue
    const role = state.store.get('roles', log.pair) ?? pairRole(log.token0, log.token1, quotes)
    const token = role.kind === 'token' ? role.token : role.kind === 'usd' ? role.stable : null
    if (!token) continue
    const meta = state.store.get('meta', token)
    if (!meta) full.add(token)
    else if (role.kind === 'token' && block - meta.supplyBlock >= SUPPLY_REFRESH_BLOCKS) supply.add(token)
  }
  return { full: [...full], supply: [...supply] }
}
