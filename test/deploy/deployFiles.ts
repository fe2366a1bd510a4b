import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'

/** The repository root (tests run from it). */
export const root = process.cwd()
export const read = (path: string) => readFileSync(join(root, path), 'utf8')

/** One Dockerfile instruction: its stage (0-based, by FROM), keyword (upper case) and arguments. */
export type Instruction = { stage: number; keyword: string; args: string }

/** The Dockerfile's instructions, comments dropped and `\` continuations joined. */
export function dockerfile(text = read('Dockerfile')): Instruction[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l))
  const joined = lines.join('\n').replace(/\\\n/g, ' ')
  let stage = -1
  const out: Instruction[] = []
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*\S)\s*$/.exec(line)
    if (!m) continue
    const keyword = m[1]!.toUpperCase()
    if (keyword === 'FROM') stage++
    out.push({ stage, keyword, args: m[2]! })
  }
  return out
}

/** The exec-form (JSON array) command of a CMD or HEALTHCHECK … CMD instruction. */
export function execForm(args: string): string[] {
  const json = args.replace(/^(--\S+\s+)*CMD\s+/, '')
  const parsed: unknown = JSON.parse(json)
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form command: ${args}`)
  return parsed
}

/** The final stage's HEALTHCHECK command (exec form). */
export function healthcheckCommand(): string[] {
  const all = dockerfile()
  const last = Math.max(...all.map((i) => i.stage))
  const hc = all.find((i) => i.stage === last && i.keyword === 'HEALTHCHECK')
  if (!hc) throw new Error('the Dockerfile has no HEALTHCHECK in its final stage')
  return execForm(hc.args)
}

export type ComposeService = {
  image?: string
  build?: string | { context: string }
  init?: boolean
  command?: string[]
  environment?: Record<string, string | null>
  ports?: string[]
  expose?: string[]
  volumes?: string[]
  depends_on?: string[] | Record<string, { condition: string }>
  healthcheck?: { test: string[]; interval?: string; timeout?: string; start_period?: string; retries?: number }
  stop_grace_period?: string
}
export type Compose = { services: Record<string, ComposeService> }

/** docker-compose.yml, parsed (YAML merge keys `<<` resolved). */
export function compose(): Compose {
  return load(read('docker-compose.yml'), { filename: 'docker-compose.yml' }) as Compose
}

/**
 * A compose value as `docker compose` would give it with the host's variables unset: `${X:-default}`
 * → `default`, `${X}` → ``.
 */
export function interpolateUnset(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback: string | undefined) => fallback ?? '')
}

/** A Go-style duration of compose (`15s`, `1m30s`, `500ms`) in milliseconds. */
export function durationMs(text: string): number {
  let ms = 0
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g
  let matched = ''
  for (let m = re.exec(text); m; m = re.exec(text)) {
    matched += m[0]
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']
  }
  if (matched !== text) throw new Error(`not a duration: ${text}`)
  return ms
}

/** An HAProxy time (`1s`, `500ms`, `1h`, or bare milliseconds) in milliseconds. */
export function haproxyTimeMs(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : durationMs(text)
}

/** The path of a binary on PATH (or in /usr/sbin, where Debian puts haproxy), or null. */
export function findBinary(name: string, versionArgs = ['-v']): string | null {
  for (const candidate of [name, `/usr/sbin/${name}`, `/usr/local/sbin/${name}`]) {
    const probe = spawnSync(candidate, versionArgs, { stdio: 'ignore' })
    if (!probe.error) return candidate
  }
  return null
}
