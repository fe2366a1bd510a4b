import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findPublicDir, staticRoutes } from '../../src/gateway/static.js'
import { startTestServer, type TestServer } from '../support/server.js'

let server: TestServer
let base: string

beforeAll(async () => {
  server = await startTestServer()
  base = `http://127.0.0.1:${server.port}`
})
afterAll(() => server?.stop())

describe('dashboard files', () => {
  it.each([
    ['/', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/index.html', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/dashboard.js', 'text/javascript; charset=utf-8', "from './client/index.js'"],
    ['/dashboard.css', 'text/css; charset=utf-8', ':root'],
  ])('GET %s is served with %s and no-cache', async (path, type, start) => {
    const res = await fetch(`${base}${path}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(type)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(await res.text()).toContain(start)
  })

  it('gives the page a content security policy that keeps it on its own origin', async () => {
    const res = await fetch(`${base}/`)
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'self'")
    // Module scripts (dashboard.js and the client it imports) fall under default-src: nothing narrows it.
    expect(csp).not.toContain('script-src')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('runs the dashboard on the typed client the server serves, with no connection code of its own', async () => {
    const dashboard = await (await fetch(`${base}/dashboard.js`)).text()
    expect(dashboard).toMatch(/^import \{[^}]*\bconnect\b[^}]*\} from '\.\/client\/index\.js'$/m)
    expect(dashboard).not.toContain('new WebSocket')
    expect(dashboard).not.toContain('JSON.parse')
    // No socket of its own, no seq tracking (`since`), no pings: the client does them.
    expect(dashboard).not.toMatch(/extends WebSocket|\bsince:|type: 'ping'/)
    // `./client/index.js` from `/dashboard.js` is `/client/index.js`: the client's browser build.
    const res = await fetch(new URL('./client/index.js', `${base}/dashboard.js`))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await res.text()).toMatch(/export \{[^}]*\bconnect\b/)
  })

  it('answers HEAD with the headers and no body', async () => {
    const get = await fetch(`${base}/dashboard.js`)
    const head = await fetch(`${base}/dashboard.js`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'))
    expect(await head.text()).toBe('')
  })

  it('keeps unknown paths a JSON 404 and other methods a 405', async () => {
    const missing = await fetch(`${base}/dashboard.map`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } })
    expect((await fetch(`${base}/../package.json`)).status).toBe(404)
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405)
  })

  it('finds public/ from src/, from dist/ and from a whole-project build', () => {
    const root = new URL('../../', import.meta.url)
    const expected = new URL('public/', root).pathname
    for (const module of ['src/gateway/static.ts', 'dist/gateway/static.js', 'dist/src/gateway/static.js']) {
      expect(findPublicDir(new URL(module, root))).toBe(expected)
    }
    expect(findPublicDir(pathToFileURL('/nowhere/a/b/static.js'))).toBeNull()
    expect(staticRoutes(null)).toEqual({})
  })
})
