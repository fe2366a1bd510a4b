import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Abi, Hex } from 'viem'

/**
 * Small contracts that emit the followed events on demand, so chain tests control every log:
 * a UniswapV2-shaped factory and pair (events and `factory()/token0()/token1()` only, no AMM),
 * a contract that emits a Swap-shaped log but is no pair, a launcher, and tokens with broken metadata.
 */
export const fixtureSource = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract FixturePair {
  address public factory;
  address public token0;
  address public token1;
  event Mint(address indexed sender, uint amount0, uint amount1);
  event Burn(address indexed sender, uint amount0, uint amount1, address indexed to);
  event Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out, uint amount1Out, address indexed to);
  event Sync(uint112 reserve0, uint112 reserve1);
  constructor(address a, address b) { factory = msg.sender; token0 = a; token1 = b; }
  function swap(uint a0In, uint a1In, uint a0Out, uint a1Out, address to) external { emit Swap(msg.sender, a0In, a1In, a0Out, a1Out, to); }
  function sync(uint112 r0, uint112 r1) external { emit Sync(r0, r1); }
  function mint(uint a0, uint a1) external { emit Mint(msg.sender, a0, a1); }
  function burn(uint a0, uint a1, address to) external { emit Burn(msg.sender, a0, a1, to); }
  function swapAndSync(uint a0In, uint a1Out, uint112 r0, uint112 r1) external {
    emit Swap(msg.sender, a0In, 0, 0, a1Out, msg.sender);
    emit Sync(r0, r1);
  }
}

contract FixtureFactory {
  event PairCreated(address indexed token0, address indexed token1, address pair, uint);
  address[] public allPairs;
  function createPair(address a, address b) external returns (address pair) {
    pair = address(new FixturePair(a, b));
    allPairs.push(pair);
    emit PairCreated(a, b, pair, allPairs.length);
  }
}

contract NotAPair {
  event Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out, uint amount1Out, address indexed to);
  function swap() external { emit Swap(msg.sender, 1, 2, 3, 4, msg.sender); }
}

contract FixtureLauncher {
  event TokenCreated(address indexed token, address indexed creator, string name, string symbol, uint256 totalSupply);
  function launch(address token, string calldata name, string calldata symbol, uint256 supply) external {
    emit TokenCreated(token, msg.sender, name, symbol, supply);
  }
}

contract RevertingSymbolToken {
  function name() external pure returns (string memory) { return "Broken Symbol"; }
  function symbol() external pure returns (string memory) { revert("no symbol"); }
  function decimals() external pure returns (uint256) { return 1000; }
  function totalSupply() external pure returns (uint256) { return 42; }
}

contract Bytes32Token {
  function name() external pure returns (bytes32) { return "Maker"; }
  function symbol() external pure returns (bytes32) { return "MKR"; }
  function decimals() external pure returns (uint8) { return 6; }
}
`

export type FixtureName = 'FixturePair' | 'FixtureFactory' | 'NotAPair' | 'FixtureLauncher' | 'RevertingSymbolToken' | 'Bytes32Token'
export type FixtureArtifacts = Record<FixtureName, { abi: Abi; bytecode: Hex }>

type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[]
  contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
}

async function compile(): Promise<FixtureArtifacts> {
  const { default: solc } = await import('solc')
  const input = {
    language: 'Solidity',
    sources: { 'Fixtures.sol': { content: fixtureSource } },
    settings: { evmVersion: 'shanghai', optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const fatal = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (fatal.length > 0) throw new Error(fatal.map((e) => e.formattedMessage).join('\n'))
  const unit = output.contracts['Fixtures.sol'] ?? {}
  return Object.fromEntries(Object.entries(unit).map(([name, c]) => [name, { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` }])) as FixtureArtifacts
}

let compiled: Promise<FixtureArtifacts> | undefined

/**
 * Compiles the fixtures with the npm `solc` (evmVersion shanghai), cached in the OS temp dir by source hash.
 *
 * @example
 * const { FixtureFactory } = await fixtureArtifacts()
 */
export function fixtureArtifacts(): Promise<FixtureArtifacts> {
  compiled ??= (async () => {
    const digest = createHash('sha256').update(fixtureSource).digest('hex').slice(0, 16)
    const file = join(tmpdir(), 'core-meme-chain-fixtures', `${digest}.json`)
    try {
      return JSON.parse(await readFile(file, 'utf8')) as FixtureArtifacts
    } catch {
      const artifacts = await compile()
      await mkdir(join(tmpdir(), 'core-meme-chain-fixtures'), { recursive: true })
      await writeFile(`${file}.${process.pid}`, JSON.stringify(artifacts))
      await rename(`${file}.${process.pid}`, file)
      return artifacts
    }
  })()
  return compiled
}
