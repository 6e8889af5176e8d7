// Journey 15 (issue 18): the data at rest. The first run encrypts the store and shows its
// recovery key once; the data directory then holds none of a resident's details in any file
// (database, its log, keys file, photos), while the app runs and after it closes. The next
// start names the office but opens nothing until a password does; a wrong one is refused.
// With every password forgotten, the recovery key opens the store and the administrator
// sets a new password.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launch } from './harness.mjs'

const SECRETS = ['13912345678', '王秀英', '消防通道被私家车长期占用']

/** Files under `dir` (any depth) holding one of the residents' details, as "file: detail". */
function inTheClear(dir) {
  const found = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      found.push(...inTheClear(path))
      continue
    }
    const bytes = readFileSync(path)
    for (const s of SECRETS) if (bytes.includes(Buffer.from(s))) found.push(`${path}: ${s}`)
  }
  return found
}

/** Wait for the case list to hold `text` (read from the page: WebDriver's text of the table is unreliable). */
async function listShows(driver, text) {
  await driver.wait(
    async () =>
      driver.executeScript(
        "const t = document.querySelector('[data-testid=case-table]'); return !!t && t.textContent.includes(arguments[0])",
        text,
      ),
    15000,
    `the case list never showed ${text}`,
  )
}

test('the first run encrypts the store; nothing of a resident is readable on disk; a password or the recovery key opens it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jiesu-e2e-encryption-'))
  let session = null
  try {
    session = await launch({ dataDir, keep: true })
    let { ui } = session
    await ui.type('setup-author', '李书记')
    await ui.type('setup-login', 'li')
    await ui.type('setup-password', 'jiesu-2026')
    await ui.type('setup-password2', 'jiesu-2026')
    await ui.click('setup-empty')
    await ui.visible('recovery-dialog', 30000)
    const recoveryKey = (await ui.text('recovery-key')).trim()
    assert.match(recoveryKey, /^([A-Z2-7]{5}-){7}[A-Z2-7]{5}$/, recoveryKey)
    await new Promise((r) => setTimeout(r, 500)) // the dialog's fade-in
    await ui.screenshot('journey15-recovery-key')
    await ui.saveRecoveryKey()
    assert.equal((await ui.invoke('unsaved_recovery_key', {})).ok, null, 'shown once')
    await ui.fileCase()
    // The app running: its database, log and keys hold nothing readable.
    assert.deepEqual(inTheClear(dataDir), [], 'while the app runs')
    const keys = readFileSync(join(dataDir, 'jiesu.keys'), 'utf8')
    assert.ok(!keys.includes(recoveryKey.replaceAll('-', '')), 'the keys file holds no key')
    await session.close()
    session = null
    assert.deepEqual(inTheClear(dataDir), [], 'after it closed')

    // The next start: the office is named, the store stays shut until a password opens it.
    session = await launch({ dataDir, keep: true })
    ui = session.ui
    await ui.visible('sign-in')
    await ui.waitText('sign-in', '和美社区')
    const shut = await ui.invoke('list_cases', { query: {} })
    assert.equal(shut.err?.code, 'sign_in_required')
    await ui.screenshot('journey15-locked-start')
    await ui.retype('sign-in-login', 'li')
    await ui.type('sign-in-password', 'not-the-password')
    await ui.click('sign-in-submit')
    await ui.waitText('sign-in', '登录')
    assert.equal((await ui.invoke('list_cases', { query: {} })).err?.code, 'sign_in_required')

    // Every password forgotten: the recovery key opens it and the administrator sets a new one.
    await ui.click('recovery-open')
    await ui.type('recovery-input', recoveryKey.toLowerCase())
    await ui.retype('recovery-login', 'li')
    await ui.type('recovery-password', 'new-password-2026')
    await ui.screenshot('journey15-recovery-form')
    await ui.click('recovery-submit')
    await ui.visible('case-table', 30000)
    await ui.waitText('status-user', '李书记（管理员）')
    await listShows(session.driver, '消防通道')
    await ui.screenshot('journey15-recovered')
    const listed = await ui.invoke('list_cases', { query: {} })
    assert.equal(listed.ok?.total, 1, JSON.stringify(listed))
    await session.close()
    session = null

    // The new password opens it from now on.
    session = await launch({ dataDir, keep: true })
    await session.ui.signIn('li', 'new-password-2026')
    await session.ui.visible('case-table', 30000)
    await listShows(session.driver, '消防通道')
    await session.ui.screenshot('journey15-new-password')
  } finally {
    if (session) await session.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test("a new PC restores the office's backup with the administrator's password", async () => {
  const oldPc = mkdtempSync(join(tmpdir(), 'jiesu-e2e-old-pc-'))
  const newPc = mkdtempSync(join(tmpdir(), 'jiesu-e2e-new-pc-'))
  const folder = mkdtempSync(join(tmpdir(), 'jiesu-e2e-usb-'))
  let session = null
  try {
    session = await launch({ dataDir: oldPc, keep: true })
    await session.ui.firstRun('李书记', false)
    const number = await session.ui.fileCase()
    const set = await session.ui.invoke('set_backup_settings', { folder, keep: 7 })
    assert.ok(!set.err, JSON.stringify(set.err))
    const made = await session.ui.invoke('backup_now', {})
    assert.ok(made.ok, JSON.stringify(made.err))
    await session.close()
    session = null
    assert.deepEqual(inTheClear(folder), [], 'the backup folder')

    session = await launch({ dataDir: newPc, keep: true })
    const { ui } = session
    await ui.click('setup-restore')
    await ui.type('new-pc-path', made.ok.path)
    await ui.type('new-pc-login', 'li')
    await ui.type('new-pc-password', 'not-the-password')
    await ui.click('new-pc-inspect')
    await session.driver.sleep(1500)
    assert.ok(!(await ui.exists('new-pc-found')), 'a wrong password shows nothing')
    await ui.retype('new-pc-password', 'jiesu-2026')
    await ui.click('new-pc-inspect')
    await ui.waitText('new-pc-found', '1 件案件')
    await ui.screenshot('journey15-new-pc-found')
    await ui.click('new-pc-restore-confirm')
    await ui.visible('case-table', 30000)
    await ui.waitText('status-user', '李书记（管理员）')
    await listShows(session.driver, number)
    await ui.screenshot('journey15-new-pc-restored')
    assert.deepEqual(inTheClear(newPc), [], 'the new PC')
  } finally {
    if (session) await session.close()
    for (const d of [oldPc, newPc, folder]) rmSync(d, { recursive: true, force: true })
  }
})

/** The store file is a plain SQLite database (readable by anyone), not an encrypted one. */
function plain(dataDir) {
  return readFileSync(join(dataDir, 'jiesu.db')).subarray(0, 16).toString('latin1') === 'SQLite format 3\0'
}

test('an app closed at its first-run screen starts again: its plain store opens after the window shows, then the first run encrypts it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jiesu-e2e-later-'))
  let session = null
  try {
    session = await launch({ dataDir, keep: true })
    await session.ui.visible('setup-author', 30000)
    await session.close()
    session = null
    assert.ok(plain(dataDir), 'no administrator yet, so nothing could encrypt it')

    // A plain store holding anything opens on a thread of its own once the window shows (a
    // store from before encryption takes minutes at a district's size); the window asks
    // until it is open, then shows what the store needs: here, the first-run screen.
    session = await launch({ dataDir, keep: true })
    const { ui } = session
    await ui.visible('setup-author', 30000)
    assert.ok(!(await ui.exists('store-opening')), 'the opening screen is gone once the store is open')
    await ui.screenshot('journey15-reopened-first-run')
    await ui.firstRun('李书记', false)
    const log = await session.close()
    session = null
    assert.match(log, /opens after the window shows/, log)
    assert.match(log, /opened \(0 cases\)/, log)
    assert.ok(!plain(dataDir), 'the first administrator encrypts it')
  } finally {
    if (session) await session.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
