// The first sign-in after an upgrade, in the real window, on a store big enough for the work
// to take a while (not a journey of the CI: it needs a store written by an earlier version).
//
//   JIESU_APP=target/debug/jiesu xvfb-run -a node tests/e2e/upgrade.mjs OLD_STORE_DIR
//
// OLD_STORE_DIR: an app data directory with an encrypted store an earlier build wrote
// (`store --cases 100000 --encrypted --only-generate --dir DIR` of that build: its
// administrator is the benches' `bench` / `bench-password`). It is copied, never changed.
// Signs in, reads the form's step every 200 ms until the case list shows, saves a screenshot
// of each step met (artifacts/e2e/upgrade-*.png), prints the steps with when each was first
// seen, and fails unless the steps came in the core's order and the list opened.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launch } from './harness.mjs'

const from = process.argv[2]
if (!from) throw new Error('usage: node tests/e2e/upgrade.mjs OLD_STORE_DIR')
const dataDir = mkdtempSync(join(tmpdir(), 'jiesu-upgrade-'))
cpSync(from, dataDir, { recursive: true })
const session = await launch({ dataDir })
const order = ['升级数据结构', '整理案件记录', '按操作留痕重新核对', '重建检索和账号记录', '压缩数据文件']
try {
  const { ui, driver } = session
  await ui.type('sign-in-login', 'bench')
  await ui.type('sign-in-password', 'bench-password')
  const clicked = Date.now()
  await ui.click('sign-in-submit')
  const seen = [] // [ms after the click, step text]
  for (;;) {
    const state = await driver.executeScript(
      `const s = document.querySelector('[data-testid=opening-step]');
       const row = document.querySelector('[data-testid=case-table] tbody [data-testid^="case-"]');
       return [s ? s.textContent : null, !!row]`,
    )
    const [step, listed] = state
    if (listed) break
    const kind = step && order.find((o) => step.startsWith(o))
    if (kind && !seen.some(([, s]) => s.startsWith(kind))) {
      seen.push([Date.now() - clicked, step])
      await ui.screenshot(`upgrade-${seen.length}`)
    }
    if (Date.now() - clicked > 30 * 60_000) throw new Error('no case list after 30 minutes')
    await new Promise((r) => setTimeout(r, 200))
  }
  const listedAt = Date.now() - clicked
  await ui.screenshot('upgrade-done')
  for (const [ms, s] of seen) console.log(`${(ms / 1000).toFixed(1)} s  ${s}`)
  console.log(`${(listedAt / 1000).toFixed(1)} s  the case list`)
  const ranks = seen.map(([, s]) => order.findIndex((o) => s.startsWith(o)))
  if (!ranks.length) throw new Error('no step was shown')
  if (ranks.some((r, i) => i > 0 && r < ranks[i - 1])) throw new Error('steps out of order')
} finally {
  await session.close()
  rmSync(dataDir, { recursive: true, force: true })
}
