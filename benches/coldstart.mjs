// Cold start and idle memory of the release app (issue 22), measured from outside as a user
// meets them: the real window under Xvfb, driven by WebDriver like the journeys.
//
//   xvfb-run -a node benches/coldstart.mjs --store 600=DIR --store 100k=DIR [--runs 3]
//
// Each DIR is an app data directory with an encrypted store whose administrator is the
// benches' (`bench` / `bench-password`: crates/jiesu-core/benches/common). Per run, and
// alternating, it starts:
//   - the empty window (`src-tauri/examples/empty_window.rs`: the same Tauri, a blank page),
//     once with WebKit's default rendering and once without compositing
//     (`WEBKIT_DISABLE_COMPOSITING_MODE=1`), times its start → its blank page answering a
//     script, waits for it to settle and sums the PSS of its process tree: the floors (set
//     that variable for the whole run to measure the app without compositing; the first
//     floor is then not WebKit's default);
//   - the app on each store: times process start → sign-in form shown, then signs in and times
//     the click → the case list's first row shown and clickable; after `--idle` seconds on the
//     list, sums the PSS of the app's process tree (the app, WebKit's web and network
//     processes).
// With `--drop-caches` (root) the kernel's page cache is dropped before each start: the store's
// pages come from the disk as after a reboot. Times are polled (each poll a WebDriver round
// trip, a few ms); the process's start comes from /proc (10 ms ticks). COLDSTART_IPC=1
// prints what the page noted in its first half minute (ui/src/timing.ts: each command, start
// ms +duration ms; each stretch its thread was busy; the first screen's steps);
// COLDSTART_SMAPS=1 each process's biggest mappings before the idle reading; COLDSTART_JS runs
// its script in the page once the list is shown (e.g. hiding a part, to see what it held, or
// counting nodes: what it returns is printed).
// `make bench-coldstart` builds what it needs and generates the stores.
import { spawn, execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs'
import { resolve, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { homedir } from 'node:os'
import net from 'node:net'
import { createRequire } from 'node:module'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// selenium-webdriver is the journeys' dependency (tests/e2e/package.json).
const { Builder, By, Key } = createRequire(join(root, 'tests/e2e/package.json'))('selenium-webdriver')
const { freePort } = await import(join(root, 'tests/e2e/harness.mjs'))

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const stores = args.flatMap((a, i) => (args[i - 1] === '--store' ? [a.split('=')] : []))
const APP = resolve(opt('--app', join(root, 'target/release/jiesu')))
const EMPTY = resolve(opt('--empty', join(root, 'target/release/examples/empty_window')))
const RUNS = Number(opt('--runs', '3'))
const IDLE_S = Number(opt('--idle', '10'))
const LOGIN = opt('--login', 'bench')
const PASSWORD = opt('--password', 'bench-password')
const DROP = args.includes('--drop-caches')
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? join(homedir(), '.cargo/bin/tauri-driver')
for (const bin of [APP, EMPTY, TAURI_DRIVER]) if (!existsSync(bin)) throw new Error(`${bin}: not built`)
if (!stores.length) throw new Error('name at least one --store LABEL=DIR')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function waitForPort(port) {
  for (let end = Date.now() + 15000; Date.now() < end; await sleep(50)) {
    const up = await new Promise((ok) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), ok(true)))
      c.on('error', () => ok(false))
    })
    if (up) return
  }
  throw new Error(`tauri-driver did not listen on ${port}`)
}

/** Every process: pid → { ppid, startTicks }. */
function processes() {
  const all = new Map()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      // The command name is in parentheses and may hold spaces: fields count after its ')'.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      all.set(Number(d), { ppid: Number(f[1]), startTicks: Number(f[19]) })
    } catch {
      /* gone meanwhile */
    }
  }
  return all
}

/** The pid of the newest process running `bin`. */
function pidOf(bin) {
  const out = execFileSync('pgrep', ['-n', '-f', `^${bin}`], { encoding: 'utf8' }).trim()
  return Number(out)
}

/** When `pid` started, in ms since the epoch (from its start tick and the uptime now). */
function startedAt(pid) {
  const ticks = processes().get(pid).startTicks
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  return Date.now() - (uptime - ticks / 100) * 1000
}

/** `pid` and every process below it. */
function processTree(pid) {
  const all = processes()
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) for (const [p, v] of all) if (v.ppid === tree[i]) tree.push(p)
  return tree
}

/** PSS of `pid` and every process below it, MiB, and how many processes that is. */
function treePss(pid) {
  const tree = processTree(pid)
  let kb = 0
  const parts = {}
  for (const p of tree) {
    try {
      const m = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m)
      const name = readFileSync(`/proc/${p}/comm`, 'utf8').trim()
      parts[name] = (parts[name] ?? 0) + Number(m[1]) / 1024
      kb += Number(m[1])
    } catch {
      /* gone meanwhile */
    }
  }
  return { mib: kb / 1024, processes: tree.length, parts }
}

function dropCaches() {
  execFileSync('sync')
  writeFileSync('/proc/sys/vm/drop_caches', '3')
}

/** Start `bin` through tauri-driver as the journeys do; the app's data in `dataDir`. */
async function start(bin, dataDir, env = {}) {
  const port = await freePort()
  const driverProc = spawn(
    TAURI_DRIVER,
    ['--port', String(port), '--native-port', String(await freePort()), '--native-driver', '/usr/bin/WebKitWebDriver'],
    {
      env: { ...process.env, ...(dataDir ? { JIESU_DATA_DIR: dataDir } : {}), ...env },
      stdio: ['ignore', 'ignore', 'ignore'],
      detached: true,
    },
  )
  await waitForPort(port)
  const asked = Date.now()
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: bin } })
    .build()
  const pid = pidOf(bin)
  return {
    driver,
    pid,
    sessionMs: Date.now() - asked,
    async close() {
      await driver.quit().catch(() => {})
      for (const sig of ['SIGTERM', 'SIGKILL']) {
        try {
          process.kill(-driverProc.pid, sig)
        } catch {
          /* gone */
        }
        await sleep(300)
      }
    },
  }
}

/** Poll until `css` matches a shown element; the time it was seen (ms since the epoch). */
async function seen(driver, css, ms = 120000) {
  const script = `const e = document.querySelector(${JSON.stringify(css)}); return !!e && e.getClientRects().length > 0`
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await driver.executeScript(script).catch(() => false)) return Date.now()
  }
  const shot = join(root, 'artifacts/coldstart-failed.png')
  mkdirSync(dirname(shot), { recursive: true })
  writeFileSync(shot, await driver.takeScreenshot(), 'base64')
  throw new Error(`${css} not shown within ${ms} ms (the window: ${shot})`)
}

/** Where a process's PSS lies, MiB by mapping (a file's path, or `[anon]`), biggest first. */
function pssByMapping(pid, top = 10) {
  const by = {}
  let name = '[anon]'
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = line.match(/^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/)
    if (head) name = head[1] || '[anon]'
    const pss = line.match(/^Pss:\s+(\d+) kB/)
    if (pss) by[name] = (by[name] ?? 0) + Number(pss[1]) / 1024
  }
  return Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${v.toFixed(1)} ${k}`)
}

/** PSS after `IDLE_S` seconds, the mean of three readings a second apart. With
 * COLDSTART_SMAPS=1, each process's biggest mappings too (on stderr). */
async function idlePss(pid) {
  await sleep(IDLE_S * 1000)
  if (process.env.COLDSTART_SMAPS) {
    for (const p of processTree(pid)) {
      try {
        const comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim()
        console.error(`${comm} (${p}):\n  ${pssByMapping(p).join('\n  ')}`)
      } catch {
        /* gone meanwhile */
      }
    }
  }
  const reads = []
  for (let i = 0; i < 3; i++, await sleep(1000)) reads.push(treePss(pid))
  const parts = Object.entries(reads[2].parts).map(([k, v]) => `${k} ${v.toFixed(0)}`)
  return { mib: reads.reduce((s, r) => s + r.mib, 0) / reads.length, processes: reads[2].processes, parts }
}

/** The empty window's memory (WebKit's default rendering, or without compositing), and its
 * start → its blank page first answering a script: the floor under the app's start → form
 * (the process, WebKit's processes and the driver's session, without Jiesu's page). */
async function floor(software) {
  if (DROP) dropCaches()
  const w = await start(EMPTY, null, software ? { WEBKIT_DISABLE_COMPOSITING_MODE: '1' } : {})
  try {
    const shown = (await seen(w.driver, 'html')) - startedAt(w.pid)
    return { ...(await idlePss(w.pid)), shown }
  } finally {
    await w.close()
  }
}

async function app(dir) {
  if (DROP) dropCaches()
  const w = await start(APP, dir)
  try {
    const t0 = startedAt(w.pid)
    // Element Plus puts a field's attributes on its <input>.
    const form = await seen(w.driver, '[data-testid="sign-in-password"]')
    // The window remembers the last login: replaced, not added to.
    const login = await w.driver.findElement(By.css('[data-testid="sign-in-login"]'))
    await login.sendKeys(Key.chord(Key.CONTROL, 'a'), Key.BACK_SPACE)
    await login.sendKeys(LOGIN)
    await w.driver.findElement(By.css('[data-testid="sign-in-password"]')).sendKeys(PASSWORD)
    const typed = await w.driver.executeScript(
      `return ['login', 'password'].map((f) => document.querySelector('[data-testid="sign-in-' + f + '"]').value)`,
    )
    if (typed[0] !== LOGIN || typed[1] !== PASSWORD) throw new Error(`the sign-in form holds ${typed[0]} / ***`)
    const button = await w.driver.findElement(By.css('[data-testid="sign-in-submit"]'))
    const clicked = Date.now()
    await button.click()
    const row = await seen(w.driver, '[data-testid="case-table"] tbody [data-testid^="case-"]')
    if (process.env.COLDSTART_IPC)
      console.error(
        await w.driver.executeScript(
          `return performance.getEntries().filter(e => e.entryType === 'measure' || e.entryType === 'mark').sort((a, b) => a.startTime - b.startTime).map(e => Math.round(e.startTime) + (e.entryType === 'mark' ? ' ' : ' +' + Math.round(e.duration) + ' ') + e.name).join('\\n')`,
        ),
      )
    // A diagnostic: what the page holds without a part of it (its layers and nodes dropped), or
    // a count it returns (printed).
    if (process.env.COLDSTART_JS) {
      const said = await w.driver.executeScript(process.env.COLDSTART_JS)
      if (said !== null && said !== undefined) console.error(`COLDSTART_JS: ${JSON.stringify(said)}`)
    }
    const pss = await idlePss(w.pid)
    return { form: form - t0, list: row - clicked, total: form - t0 + (row - clicked), session: w.sessionMs, pss }
  } finally {
    await w.close()
  }
}

const fmt = (x) => x.toFixed(0)
const parts = (p) => p.parts.join(', ')
console.log(`app ${APP}\nempty ${EMPTY}\ncaches ${DROP ? 'dropped before each start' : 'kept'}, idle ${IDLE_S} s`)
console.log(
  '| run | window | start → sign-in form ms (empty window: → its page answers) | sign-in click → first row ms | sum ms | idle PSS MiB (by process) | ÷ empty, WebKit default | ÷ empty, no compositing |',
)
console.log('|---|---|---|---|---|---|---|---|')
for (let run = 1; run <= RUNS; run++) {
  const empty = await floor(false)
  const soft = await floor(true)
  console.log(
    `| ${run} | empty window, WebKit default | ${fmt(empty.shown)} | | | ${fmt(empty.mib)} (${parts(empty)}) | 1.00 | |`,
  )
  console.log(
    `| ${run} | empty window, no compositing | ${fmt(soft.shown)} | | | ${fmt(soft.mib)} (${parts(soft)}) | | 1.00 |`,
  )
  for (const [label, dir] of stores) {
    const r = await app(resolve(dir))
    const ratio = (f) => (r.pss.mib / f.mib).toFixed(2)
    console.log(
      `| ${run} | ${label} cases | ${fmt(r.form)} | ${fmt(r.list)} | **${fmt(r.total)}** | ${fmt(r.pss.mib)} (${parts(r.pss)}) | ${ratio(empty)} | ${ratio(soft)} |`,
    )
  }
}
