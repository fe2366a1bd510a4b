import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { posix } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anvilBinaryPath, freePort } from '../../src/devnet/anvil.js'
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js'
import { dockerfile, execForm, healthcheckCommand, read, root } from './deployFiles.js'

/**
 * The Dockerfile, without a Docker engine: its instructions are parsed and checked against the
 * README, package.json and the build context, and its HEALTHCHECK command is run, as is, against a
 * real server process.
 */

const instructions = dockerfile()
const finalStage = Math.max(...instructions.map((i) => i.stage))
const inFinal = (keyword: string) => instructions.filter((i) => i.stage === finalStage && i.keyword === keyword)
const workdir = inFinal('WORKDIR').at(-1)!.args

/** Runs a command of the image (`node …`) with this Node, in the repository (the image's WORKDIR holds the same paths); resolves to its exit code. */
async function runInRepo(command: string[], env: Record<string, string>): Promise<number | null> {
  expect(command[0]).toBe('node')
  const child = spawn(process.execPath, command.slice(1), { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' })
  const [code] = (await once(child, 'exit')) as [number | null]
  return code
}

describe('Dockerfile', () => {
  it('is multi-stage: npm ci --ignore-scripts and the build in one stage, a node:20 runtime as USER node in the last', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM')
    expect(froms.length).toBeGreaterThanOrEqual(2)
    expect(froms.at(-1)!.args).toMatch(/^node:20\b/)
    const build = instructions.filter((i) => i.stage < finalStage && i.keyword === 'RUN').map((i) => i.args)
    expect(build).toContainEqual(expect.stringMatching(/npm ci --ignore-scripts/))
    expect(build).toContainEqual(expect.stringMatching(/npm run build/))
    expect(inFinal('USER').at(-1)!.args).toBe('node')
    // The runtime stage builds nothing: it takes the compiled output and production node_modules.
    expect(inFinal('COPY').map((i) => i.args)).toEqual(expect.arrayContaining([expect.stringMatching(/^--from=\S+ \/app\/node_modules /), expect.stringMatching(/^--from=\S+ \/app\/dist /), 'public ./public']))
    expect(inFinal('EXPOSE').map((i) => i.args)).toEqual(['3003'])
  })

  it('CMD is the production start command: package.json start, the README, PM2', () => {
    const cmd = execForm(inFinal('CMD').at(-1)!.args)
    expect(cmd).toEqual(['node', 'dist/index.js'])
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; main: string }
    expect(pkg.scripts['start']).toBe(cmd.join(' '))
    expect(read('README.md')).toContain(`\`${cmd.join(' ')}\``)
    const ecosystem = createRequire(import.meta.url)(`${root}/ecosystem.config.cjs`) as { apps: { script: string }[] }
    for (const app of ecosystem.apps) expect(app.script).toBe(cmd[1])
  })

  it('copies only what exists and .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1))
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'public', 'deploy/healthcheck.mjs']))
    for (const source of sources) {
      expect(existsSync(`${root}/${source}`), source).toBe(true)
      for (const pattern of ignored) expect(source === pattern || source.startsWith(`${pattern}/`), `${source} is excluded by .dockerignore's ${pattern}`).toBe(false)
    }
    // Secrets and local state stay out of the build context.
    expect(ignored).toEqual(expect.arrayContaining(['.env', 'node_modules', 'dist', '.data', '.git']))
  })

  it('copies, before the build, every tsconfig `npm run build` compiles with', () => {
    const build = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['build']!
    const projects = [...build.matchAll(/-p (\S+)/g)].map(([, p]) => p!)
    expect(projects).toEqual(['tsconfig.build.json', 'tsconfig.client.json'])
    const buildAt = instructions.findIndex((i) => i.keyword === 'RUN' && /npm run build/.test(i.args))
    const copied = instructions.slice(0, buildAt).filter((i) => i.keyword === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1))
    // Each project and the tsconfig it extends.
    for (const project of [...projects, 'tsconfig.json']) expect(copied, project).toContain(project)
  })

  it('needs no install script at run time: the only production package with one is anvil, whose binary comes from its platform package', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> }
    const withScripts = Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript && !p.dev).map(([name]) => name)
    expect(withScripts).toEqual(['node_modules/@foundry-rs/anvil'])
    // What `npm ci --ignore-scripts` installs is enough: the embedded devnet runs this file.
    accessSync(anvilBinaryPath(), constants.X_OK)
  })

  it('leaves /app/.data writable by the server user (default CHECKPOINT_FILE and DEVNET_FILE)', () => {
    const runs = inFinal('RUN').map((i) => i.args)
    expect(workdir).toBe('/app')
    expect(runs).toContainEqual(expect.stringMatching(/mkdir (-p )?(\/app\/)?\.data && chown node(:node)? (\/app\/)?\.data/))
  })

  it('HEALTHCHECK runs the health script the image copies, on the container WS_PORT', () => {
    const command = healthcheckCommand()
    expect(command).toEqual(['node', 'deploy/healthcheck.mjs'])
    const copied = inFinal('COPY').find((i) => i.args.startsWith('deploy/healthcheck.mjs '))!.args.split(/\s+/)[1]!
    expect(posix.resolve(workdir, copied)).toBe(posix.resolve(workdir, command[1]!))
    expect(readFileSync(`${root}/deploy/healthcheck.mjs`, 'utf8')).toMatch(/process\.env\.WS_PORT/)
  })
})

describe('the HEALTHCHECK command against real processes', () => {
  let server: ServerProcess
  let unhealthy: Server
  let unhealthyPort: number

  beforeAll(async () => {
    server = await startServerProcess({ CORE_NETWORK: 'none' })
    // Something on the port that answers 503: the check must fail on the status, not only on a refused connection.
    unhealthy = createServer((_req, res) => res.writeHead(503).end('{"status":"draining"}'))
    unhealthy.listen(0, '127.0.0.1')
    await once(unhealthy, 'listening')
    unhealthyPort = (unhealthy.address() as { port: number }).port
  })

  afterAll(async () => {
    await server?.stop()
    unhealthy?.close()
  })

  it('exits 0 against a serving server (GET /health on WS_PORT), and the same script with /ready too', async () => {
    expect(await runInRepo(healthcheckCommand(), { WS_PORT: String(server.port) })).toBe(0)
    expect(await runInRepo([...healthcheckCommand(), '/ready'], { WS_PORT: String(server.port) })).toBe(0)
  })

  it('exits 1 when nothing listens on WS_PORT, and when the server answers 503', async () => {
    expect(await runInRepo(healthcheckCommand(), { WS_PORT: String(await freePort()) })).toBe(1)
    expect(await runInRepo(healthcheckCommand(), { WS_PORT: String(unhealthyPort) })).toBe(1)
  })
})
