import { parseAbi, toEventSelector, type Hex } from 'viem'

/** UniswapV2 events: signature-identical on every V2 fork. `PairCreated`'s fourth argument is unnamed. */
export const uniswapV2EventsAbi = parseAbi([
  'event PairCreated(address indexed token0, address indexed token1, address pair, uint256)',
  'event Mint(address indexed sender, uint256 amount0, uint256 amount1)',
  'event Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to)',
  'event Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to)',
  'event Sync(uint112 reserve0, uint112 reserve1)',
])

/** The token launcher's event. */
export const launcherEventsAbi = parseAbi([
  'event TokenCreated(address indexed token, address indexed creator, string name, string symbol, uint256 totalSupply)',
])

/** Every event the follower asks `eth_getLogs` for. */
export const followedEventsAbi = [...uniswapV2EventsAbi, ...launcherEventsAbi] as const

/** The views used to tell a UniswapV2 pair from any other contract. */
export const uniswapV2PairAbi = parseAbi([
  'function factory() view returns (address)',
  'function token0() view returns (address)',
  'function token1() view returns (address)',
])

/** ERC-20 metadata views. */
export const erc20MetadataAbi = parseAbi([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function totalSupply() view returns (uint256)',
])

/** topic0 of every followed event, as one OR-group for `eth_getLogs`. */
export const followedTopics: Hex[] = followedEventsAbi.map((item) => toEventSelector(item))

/** The ERC-20 `Transfer` (three topics; an ERC-721 `Transfer` has four and does not decode with it). */
export const erc20TransferAbi = parseAbi(['event Transfer(address indexed from, address indexed to, uint256 value)'])

/** topic0 of `Transfer`, asked for with an address filter (never for every contract: WCORE alone would flood it). */
export const transferTopic: Hex = toEventSelector(erc20TransferAbi[0])
