// A real jiesu-server for the sync journey: its own data dir and port, offices and codes made
// with its admin command line, and a headless second app core (jiesu-replica) to look with.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { clockEnv, freePort } from './harness.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SERVER = process.env.JIESU_SERVER_BIN ?? join(root, 'target/debug/jiesu-server')
const REPLICA = process.env.JIESU_REPLICA_BIN ?? join(root, 'target/debug/jiesu-replica')

/** `offices`: more offices to add, as [id, name, kind, parent]. */
export async function startServer({ offices = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'jiesu-server-e2e-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // The server and the replicas run on the run's clock, like the apps (see harness.mjs).
  const env = () => ({ ...process.env, ...clockEnv() })
  const admin = (...args) =>
    execFileSync(SERVER, ['--data-dir', dir, 'admin', ...args], { encoding: 'utf8', env: env() }).trim()
  admin('add-office', '--id', 'jh', '--name', '江汉区', '--kind', 'district')
  admin('add-office', '--id', 'hy', '--name', '花园街道', '--kind', 'street', '--parent', 'jh')
  admin('add-office', '--id', 'hm', '--name', '和美社区', '--kind', 'community', '--parent', 'hy')
  for (const [id, name, kind, parent] of offices) {
    admin('add-office', '--id', id, '--name', name, '--kind', kind, '--parent', parent)
  }
  const proc = spawn(SERVER, ['--data-dir', dir, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: env(),
  })
  let log = ''
  proc.stderr.on('data', (d) => (log += d))
  const end = Date.now() + 15000
  for (;;) {
    try {
      const r = await fetch(`${url}/v1/health`)
      if (r.ok) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`jiesu-server did not start: ${log}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    code: (office) => admin('code', '--office', office),
    /** Register a civic app for Open311; its api key. */
    open311Key: (name) => admin('open311-add-client', '--name', name),
    /**
     * Sync a fresh headless app core enrolled at `office`; returns the cases it holds. With
     * `file`, it first files a parking complaint so described (with the photo at `photo`); with
     * `sample`, it generates that many sample cases first; with `rectify` and `site`, after
     * syncing it resolves on the spot every open site of the campaigns it was given and adds a
     * site of its own to each, then syncs again.
     */
    replica(office, { file, photo, sample, rectify, site } = {}) {
      const rdir = mkdtempSync(join(tmpdir(), 'jiesu-replica-'))
      const args = ['--dir', rdir, '--server', url, '--code', admin('code', '--office', office)]
      if (file) args.push('--file', file)
      if (photo) args.push('--photo', photo)
      if (sample) args.push('--sample', String(sample))
      if (rectify) args.push('--rectify', rectify)
      if (site) args.push('--site', site)
      try {
        // A line per case: a street's replica of sampled communities passes the default 1 MiB.
        const out = execFileSync(REPLICA, args, { encoding: 'utf8', env: env(), maxBuffer: 256 * 1024 * 1024 })
        return out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      } finally {
        rmSync(rdir, { recursive: true, force: true })
      }
    },
    devices: () => admin('devices'),
    stop() {
      proc.kill('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
