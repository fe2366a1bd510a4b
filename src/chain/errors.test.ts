import { BaseError, ContractFunctionRevertedError, HttpRequestError, InvalidParamsRpcError, LimitExceededRpcError, ResponseBodyTooLargeError, RpcRequestError, TimeoutError, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { ChainError, isRangeLimitError, isRetryableError, suggestedRangeSize, withRetry } from './errors.js'

const http = (status?: number) => new HttpRequestError({ url: 'http://node', status, body: {} })
const rpc = (code: number, message: string) => new RpcRequestError({ url: 'http://node', body: {}, error: { code, message } })

describe('isRetryableError', () => {
  it.each([
    ['a network failure (no status)', http()],
    ['HTTP 429', http(429)],
    ['HTTP 503', http(503)],
    ['a timeout', new TimeoutError({ url: 'http://node', body: {} })],
    ['JSON-RPC 429 in a 200 body', rpc(429, 'Too many requests')],
    ['JSON-RPC -32005 limit exceeded', new LimitExceededRpcError(rpc(-32005, 'rate limited'))],
    ['JSON-RPC internal error', rpc(-32603, 'internal')],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a chain race', new ChainError('chain_race', 'moved')],
    ['a wrapped network failure', new BaseError('outer', { cause: http() })],
  ])('retries %s', (_, err) => {
    expect(isRetryableError(err)).toBe(true)
  })

  it.each([
    ['HTTP 400', http(400)],
    ['invalid params', new InvalidParamsRpcError(rpc(-32602, 'invalid params'))],
    ['a revert', new ContractFunctionRevertedError({ abi: parseAbi(['function f()']), functionName: 'f', message: 'reverted' })],
    ['an execution revert (-32000)', rpc(-32000, 'execution reverted')],
    ['a plain bug', new TypeError('x is undefined')],
    ['a stop', new ChainError('chain_stopped', 'stopped')],
  ])('does not retry %s', (_, err) => {
    expect(isRetryableError(err)).toBe(false)
  })
})

describe('isRangeLimitError', () => {
  it.each([
    'query returned more than 10000 results',
    'block range is too wide',
    'exceed maximum block range: 5000',
    'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range',
    'eth_getLogs is limited to a 10,000 range',
    'too many blocks requested',
    'limit exceeded',
    'query returned more than 10000 results. Try with this block range [0x10, 0x1f].',
  ])('recognizes "%s"', (message) => {
    expect(isRangeLimitError(new LimitExceededRpcError(rpc(-32005, message)))).toBe(true)
  })

  it('takes an answer larger than the client accepts (viem: 10 MB) for a range too large', () => {
    const tooLarge = new ResponseBodyTooLargeError({ size: 10_532_583, maxSize: 10_485_760 })
    expect(isRangeLimitError(new HttpRequestError({ url: 'http://node', body: {}, cause: tooLarge }))).toBe(true)
  })

  it('ignores unrelated errors and rate limits', () => {
    expect(isRangeLimitError(rpc(429, 'Too many requests'))).toBe(false)
    expect(isRangeLimitError(new LimitExceededRpcError(rpc(-32005, 'daily request limit exceeded')))).toBe(false)
    expect(isRangeLimitError(http(503))).toBe(false)
    expect(isRangeLimitError(rpc(-32602, 'invalid argument 0: hex string has leading zero digits'))).toBe(false)
  })

  it("reads the node's suggested range", () => {
    expect(suggestedRangeSize(rpc(-32005, 'Try with this block range [0x10, 0x1f].'))).toBe(16)
    expect(suggestedRangeSize(rpc(-32005, 'query returned more than 10000 results'))).toBeNull()
  })
})

describe('withRetry', () => {
  it('retries retryable errors, then returns', async () => {
    let calls = 0
    const value = await withRetry(async () => (++calls < 3 ? Promise.reject(http(503)) : 'ok'), { baseMs: 1 })
    expect([value, calls]).toEqual(['ok', 3])
  })

  it('throws a non-retryable error at once, and a retryable one after the last retry', async () => {
    let calls = 0
    await expect(withRetry(async () => (calls++, Promise.reject(http(400))), { baseMs: 1 })).rejects.toThrow()
    expect(calls).toBe(1)
    calls = 0
    await expect(withRetry(async () => (calls++, Promise.reject(http(503))), { baseMs: 1, retries: 2 })).rejects.toThrow()
    expect(calls).toBe(3)
  })
})
