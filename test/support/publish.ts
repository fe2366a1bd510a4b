import type { App } from '../../src/app.js'
import { dataPublication, encodeItems, reorgPublication } from '../../src/bus/publication.js'
import type { Channel, ChannelItems, PriceItem, TokenItem } from '../../src/protocol/items.js'
import { emptyDelta, type StateDelta } from '../../src/state/stateStore.js'

/**
 * Publishes items on a channel as the indexer does (each encoded once, with its route); resolves to the seq.
 *
 * @example
 * const seq = await publishItems(server.app, 'trades', [trade(A)])
 */
export function publishItems<C extends Channel>(app: App, channel: C, items: ChannelItems[C][]): Promise<number> {
  return app.bus.publish(channel, dataPublication(encodeItems(channel, items)))
}

/** Publishes a `reorg` notice on a channel. */
export function publishReorg(app: App, channel: Channel, fromBlock: number, toBlock: number, txHashes: string[]): Promise<number> {
  return app.bus.publish(channel, reorgPublication(fromBlock, toBlock, txHashes))
}

/** Writes read-model changes through the app's ledger (no publication). */
export function writeState(app: App, delta: Partial<StateDelta>): Promise<void> {
  if (!app.ledger) throw new Error('this app has no ledger (ROLE=gateway)')
  return app.ledger.commit({ publications: [], delta: { ...emptyDelta(), ...delta } })
}

/** Sets current price items in the read model. */
export function setPrices(app: App, prices: PriceItem[]): Promise<void> {
  return writeState(app, { prices: prices.map((p) => ({ token: p.tokenAddress, json: JSON.stringify(p) })) })
}

/** Adds launches to the read model (the last one is the newest). */
export function addTokens(app: App, tokens: TokenItem[]): Promise<void> {
  return writeState(app, { launches: tokens.map((t) => ({ token: t.address, json: JSON.stringify(t) })) })
}
