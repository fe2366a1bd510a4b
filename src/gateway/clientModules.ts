import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Route } from './http.js'

/** Static runtime imports of an ES module (`import … from './x.js'`, `export … from '../y.js'`). */
const importPattern = /^\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/gm

type Transpile = (source: string, file: string) => string

/**
 * The browser build of the typed client: `src/client/index` and the modules it imports at run time
 * (its protocol types vanish), as plain ES modules keyed by their path under the source root
 * (`client/index.js`, `protocol/items.js`, …). From `dist/` when the server runs built; transpiled
 * from `src/` with TypeScript when it runs from source (`tsx`, the tests), so it is never stale.
 *
 * @example
 * loadClientModules().get('client/index.js') // 'export { connect, … } from "./client.js"…'
 */
export function loadClientModules(from: string | URL = import.meta.url): Map<string, string> {
  const root = normalize(join(dirname(fileURLToPath(from)), '..')) // src/ or dist/
  let modules = loaded.get(root)
  if (!modules) loaded.set(root, (modules = readClientModules(root)))
  return modules
}

/** Read once per process and root: transpiling takes a few hundred ms, servers of one test process share it. */
const loaded = new Map<string, Map<string, string>>()

function readClientModules(root: string): Map<string, string> {
  const fromSource = existsSync(join(root, 'client', 'index.ts'))
  const transpile: Transpile | null = fromSource ? typescriptTranspiler() : null
  const modules = new Map<string, string>()
  const visit = (path: string) => {
    if (modules.has(path)) return
    const file = join(root, fromSource ? path.replace(/\.js$/, '.ts') : path)
    const source = readFileSync(file, 'utf8')
    const code = transpile ? transpile(source, file) : source.replace(/\n\/\/# sourceMappingURL=.*$/, '')
    modules.set(path, code)
    for (const [, spec] of code.matchAll(importPattern)) visit(relative(root, join(root, dirname(path), spec!)).split('\\').join('/'))
  }
  visit('client/index.js')
  return modules
}

function typescriptTranspiler(): Transpile {
  const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript')
  return (source, file) =>
    ts.transpileModule(source, { fileName: file, compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false } }).outputText
}

/**
 * `GET /client/*.js` and `/protocol/*.js`: the client's modules for browsers (`import { connect }
 * from '/client/index.js'`), read once at start. Only those files: no directory walking.
 *
 * @example
 * createGateway({ …, routes: { ...clientRoutes() } })
 */
export function clientRoutes(modules: Map<string, string> = loadClientModules()): Record<string, Route> {
  const routes: Record<string, Route> = {}
  for (const [path, code] of modules) {
    const body = Buffer.from(code)
    // Public code: pages of any origin may import it (module scripts from another origin need CORS).
    const headers = { 'content-type': 'text/javascript; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'access-control-allow-origin': '*' }
    routes[`/${path}`] = (req, res) => {
      res.writeHead(200, headers)
      res.end(req.method === 'HEAD' ? undefined : body)
    }
  }
  return routes
}
