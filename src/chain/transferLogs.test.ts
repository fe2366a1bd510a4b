import { getAddress, type Address, type Hash } from 'viem'
import { describe, expect, it } from 'vitest'
import type { DexLogBody } from './decode.js'
import type { RawLog } from './events.js'
import type { LogsWhere } from './rpc.js'
import { fetchTransferLogs, transferTargets, type TransferScope } from './transferLogs.js'

const address = (digit: string) => getAddress(`0x${digit.repeat(40)}`)
const [meme, other, wcore, pair, factory, launcher] = ['a', 'b', 'c', 'd', 'e', 'f'].map(address) as [Address, Address, Address, Address, Address, Address]
const lower = (a: string) => a.toLowerCase()

function scope(tracked: string[], addressesPerCall = 500): TransferScope {
  return { tracked: () => tracked, exclude: new Set([lower(wcore)]), addressesPerCall }
}

const pairCreated: DexLogBody = { kind: 'pairCreated', factory, dex: 'x', token0: wcore, token1: other, pair }
const tokenCreated: DexLogBody = { kind: 'tokenCreated', launcher, token: other, creator: meme, name: 'O', symbol: 'O', totalSupply: 1n }

const log = (token: Address, blockNumber: bigint, logIndex = 0): RawLog => ({
  address: token,
  topics: [],
  data: '0x',
  blockNumber,
  blockHash: `0x${'1'.repeat(64)}` as Hash,
  txHash: `0x${'2'.repeat(64)}` as Hash,
  logIndex,
})

describe('transferTargets', () => {
  it('takes tracked contracts for the whole range, in any case, minus the excluded and non-addresses', () => {
    expect(transferTargets(scope([meme, wcore.toUpperCase().replace('0X', '0x'), 'nope']), [])).toEqual(new Map([[lower(meme), null]]))
  })

  it('adds what a PairCreated or TokenCreated announces, from its first block on, never an excluded quote token', () => {
    const targets = transferTargets(scope([]), [
      { blockNumber: 12n, body: pairCreated },
      { blockNumber: 15n, body: tokenCreated },
    ])
    expect(targets).toEqual(new Map([[lower(other), 12n], [lower(pair), 12n]]))
  })

  it('keeps a tracked contract whole-range even when the range also announces it', () => {
    expect(transferTargets(scope([other]), [{ blockNumber: 12n, body: pairCreated }]).get(lower(other))).toBeNull()
  })
})

describe('fetchTransferLogs', () => {
  function fakeRpc(answer: RawLog[]) {
    const calls: { where: LogsWhere; addresses: readonly string[] }[] = []
    return {
      calls,
      getTransferLogs: async ({ addresses, ...where }: LogsWhere & { addresses: readonly string[] }) => {
        calls.push({ where, addresses })
        return answer.filter((l) => addresses.includes(lower(l.address)))
      },
    }
  }

  it('makes one call per chunk of addresses and per where, addresses sorted', async () => {
    const rpc = fakeRpc([])
    const targets = transferTargets(scope([other, meme, pair]), [])
    const where: LogsWhere[] = [{ fromBlock: 1n, toBlock: 4n }, { blockHash: `0x${'3'.repeat(64)}` }]
    await fetchTransferLogs(rpc, scope([], 2), targets, where)
    expect(rpc.calls).toEqual([
      { where: where[0], addresses: [lower(meme), lower(other)] },
      { where: where[0], addresses: [lower(pair)] },
      { where: where[1], addresses: [lower(meme), lower(other)] },
      { where: where[1], addresses: [lower(pair)] },
    ])
  })

  it('drops the logs of an announced contract older than the block that announced it', async () => {
    const rpc = fakeRpc([log(other, 11n), log(other, 12n, 1), log(pair, 13n), log(meme, 10n)])
    const targets = transferTargets(scope([meme]), [{ blockNumber: 12n, body: pairCreated }])
    const kept = await fetchTransferLogs(rpc, scope([]), targets, [{ fromBlock: 10n, toBlock: 13n }])
    expect(kept.map((l) => [l.address, l.blockNumber])).toEqual([[other, 12n], [pair, 13n], [meme, 10n]])
  })
})
