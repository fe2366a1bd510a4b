import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type * as ClientModule from '../../src/client/index.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { waitFor } from '../support/waitFor.js'

/**
 * The browser build of the client as the server serves it (`/client/index.js` and what it imports):
 * plain ES modules with relative imports only, importable from any origin, and runnable as they
 * are — loaded here from the files the server sent, they connect and subscribe.
 */

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.stop())

/** A static import or re-export (`import { a } from './x.js'`, `export * from '../y.js'`), not a comment's example. */
const staticImport = /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm

/** Every module reachable from /client/index.js over HTTP, by path. */
async function served(): Promise<Map<string, { status: number; type: string | null; cors: string | null; code: string }>> {
  const out = new Map<string, { status: number; type: string | null; cors: string | null; code: string }>()
  const visit = async (path: string): Promise<void> => {
    if (out.has(path)) return
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`)
    const code = await res.text()
    out.set(path, { status: res.status, type: res.headers.get('content-type'), cors: res.headers.get('access-control-allow-origin'), code })
    for (const [, spec] of code.matchAll(staticImport)) await visit(new URL(spec!, `http://x${path}`).pathname)
  }
  await visit('/client/index.js')
  return out
}

describe('GET /client/index.js', () => {
  it('serves the client and its imports as JavaScript modules any origin may import, with no bare imports', async () => {
    const modules = await served()
    expect([...modules.keys()].sort()).toEqual(['/client/backoff.js', '/client/client.js', '/client/index.js', '/client/recent.js', '/protocol/items.js', '/protocol/serverMessages.js'])
    for (const [path, m] of modules) {
      expect({ path, status: m.status, type: m.type, cors: m.cors }).toEqual({ path, status: 200, type: 'text/javascript; charset=utf-8', cors: '*' })
      expect([...m.code.matchAll(staticImport)].map(([, spec]) => spec).filter((spec) => !/^\.{1,2}\//.test(spec!))).toEqual([]) // relative only: no import map needed
      expect(m.code).not.toMatch(/^\s*import\s+type\b|:\s*ServerMessage\b/m) // types are gone
    }
  })

  it('runs as served: loaded from those files, the client connects and gets the subscribed reply', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'served-client-'))
    for (const [path, m] of await served()) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), m.code)
    }
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
    const { connect } = (await import(pathToFileURL(join(dir, 'client', 'index.js')).href)) as typeof ClientModule
    const client = connect(server.url, { WebSocket })
    const events: string[] = []
    client.subscribe('tokens', {}, (e) => events.push(e.type))
    await waitFor(() => events.includes('subscribed'))
    expect(client.state()).toBe('connected')
    client.close()
  })
})
