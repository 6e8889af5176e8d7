// Drives the real Jiesu window: tauri-driver → WebKitWebDriver → the app binary, under Xvfb.
// Each session gets its own data directory (JIESU_DATA_DIR), so every journey starts on a
// fresh first-run store, and saves screenshots under artifacts/e2e/.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir, homedir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import net from 'node:net'
import { Builder, By, Key, until } from 'selenium-webdriver'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const APP = process.env.JIESU_APP ?? join(root, 'target/debug/jiesu')
const ARTIFACTS = join(root, 'artifacts/e2e')
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? join(homedir(), '.cargo/bin/tauri-driver')

// The clock every process of a run reads. With JIESU_CLOCK_AT set (the Makefile's awkward
// dates), the run starts at that instant and every app, server and replica it starts joins
// the same running timeline: each is started at the pin plus the time the run has taken so
// far, as if the whole machine's clock had been set. Without it, the machine's clock.
const PIN = process.env.JIESU_CLOCK_AT ? Date.parse(process.env.JIESU_CLOCK_AT) : null
if (PIN !== null && Number.isNaN(PIN))
  throw new Error(`JIESU_CLOCK_AT=${process.env.JIESU_CLOCK_AT}: not an RFC 3339 instant`)
const CLOCK_OFFSET = PIN === null ? 0 : PIN - Date.now()
if (PIN !== null)
  console.error(`# journeys run on a pinned clock: ${new Date(PIN).toISOString()} (${process.env.JIESU_CLOCK_AT})`)

/** The run's clock now (ms): what the apps it starts read. */
export function runNow() {
  return Date.now() + CLOCK_OFFSET
}

/** The environment that starts a process on the run's clock, `offsetMs` off it. */
export function clockEnv(offsetMs = 0) {
  if (PIN === null && offsetMs === 0) return {}
  return { JIESU_CLOCK_AT: new Date(runNow() + offsetMs).toISOString(), JIESU_CLOCK_OFFSET_MS: '' }
}

/** YYYY-MM-DD in China time of the instant `ms`. */
export function chinaDate(ms) {
  return new Date(ms + 8 * 3600000).toISOString().slice(0, 10)
}

/** A port nothing listens on now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
    s.on('error', fail)
  })
}

async function waitForPort(port, ms) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const up = await new Promise((ok) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), ok(true)))
      c.on('error', () => ok(false))
    })
    if (up) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`tauri-driver did not listen on ${port}`)
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {
    /* already gone */
  }
}

/**
 * Start the app; returns { driver, ui, close }. On a fresh store unless `dataDir` names one
 * to reopen (kept on close when `keep`); `env` adds to the app's environment; the app's
 * clock starts `clockOffsetMs` off the run's (a PC whose clock is wrong).
 */
export async function launch({ dataDir: reuse, keep = false, env = {}, clockOffsetMs = 0 } = {}) {
  const dataDir = reuse ?? mkdtempSync(join(tmpdir(), 'jiesu-e2e-'))
  const port = await freePort()
  const nativePort = await freePort()
  const driverProc = spawn(
    TAURI_DRIVER,
    ['--port', String(port), '--native-port', String(nativePort), '--native-driver', '/usr/bin/WebKitWebDriver'],
    {
      env: {
        ...process.env,
        JIESU_DATA_DIR: dataDir,
        JIESU_EXPORT_DIR: join(dataDir, 'exports'),
        RUST_BACKTRACE: '0',
        ...clockEnv(clockOffsetMs),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group, so closing the session can end WebKitWebDriver and the app
      // with it: an app left running would hold the stderr pipe and keep the runner alive.
      detached: true,
    },
  )
  let stderr = ''
  driverProc.stderr.on('data', (d) => (stderr += d))
  await waitForPort(port, 15000)
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: APP } })
    .build()
  const ui = new Ui(driver)
  // WebKit keeps the window's storage (the language choice, the list's filters) between runs
  // of the app; each journey starts from a first run.
  await driver.executeScript('localStorage.clear(); sessionStorage.clear()')
  await driver.navigate().refresh()
  return {
    driver,
    ui,
    dataDir,
    exportDir: join(dataDir, 'exports'),
    async close() {
      try {
        await driver.quit()
      } catch {
        /* the window may already be gone */
      }
      killGroup(driverProc.pid, 'SIGTERM')
      await new Promise((r) => setTimeout(r, 300))
      killGroup(driverProc.pid, 'SIGKILL')
      driverProc.stderr.destroy()
      if (!keep) rmSync(dataDir, { recursive: true, force: true })
      if (process.env.E2E_DEBUG) console.error(stderr)
      return stderr
    },
  }
}

/**
 * A real notification daemon (dunst) on the test's D-Bus session, printing each notification
 * it receives; `seen()` is everything printed so far. Needs `dbus-run-session` around the
 * tests (the Makefile's e2e target) and an X display.
 */
export function notificationDaemon() {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) throw new Error('no D-Bus session: run the tests under dbus-run-session')
  const proc = spawn('dunst', ['-print'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (d) => (out += d))
  proc.stderr.on('data', () => {})
  return {
    seen: () => out,
    /** Wait until a notification whose summary contains `text` arrives. */
    async waitFor(text, ms) {
      const end = Date.now() + ms
      while (Date.now() < end) {
        if (out.split('\n').some((l) => l.includes('summary:') && l.includes(text))) return
        await new Promise((r) => setTimeout(r, 250))
      }
      throw new Error(`no notification "${text}" within ${ms} ms; seen:\n${out}`)
    },
    stop() {
      proc.kill('SIGTERM')
    },
  }
}

/** Errors after which the step did nothing and may be tried again (see `fresh`). */
const NOTHING_HAPPENED = ['StaleElementReferenceError', 'ElementClickInterceptedError']

/**
 * Run `fn` again, up to a few times, when an element it found was replaced before it was used
 * (Vue re-renders lists and panels as data arrives, and WebKitWebDriver then reports the old
 * node as stale) or a click was refused because a closing dropdown or dialog still covered the
 * element. Only for steps that did nothing yet when the error came (finding, scrolling,
 * reading, a refused click).
 */
export async function fresh(fn, tries = 6) {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (e) {
      if (!NOTHING_HAPPENED.includes(e.name) || i >= tries) throw e
      await new Promise((r) => setTimeout(r, 150 * i))
    }
  }
}

/** Element Plus-aware helpers, addressing elements by data-testid. */
export class Ui {
  constructor(driver) {
    this.d = driver
  }
  async el(testid, ms = 10000) {
    const e = await this.d.wait(until.elementLocated(By.css(`[data-testid="${testid}"]`)), ms)
    return e
  }
  async visible(testid, ms = 10000) {
    return fresh(async () => {
      const e = await this.el(testid, ms)
      await this.d.wait(until.elementIsVisible(e), ms)
      return e
    })
  }
  async exists(testid) {
    return (await this.d.findElements(By.css(`[data-testid="${testid}"]`))).length > 0
  }
  /** Whether the element is on the page and shown (a closed dialog stays in the page, hidden). */
  async displayed(testid) {
    const found = await this.d.findElements(By.css(`[data-testid="${testid}"]`))
    return found.length > 0 && (await found[0].isDisplayed().catch(() => false))
  }
  /** The native input inside an Element Plus input (or the element itself). */
  async input(testid) {
    const e = await this.visible(testid)
    const tag = await e.getTagName()
    if (tag === 'input' || tag === 'textarea') return e
    return e.findElement(By.css('input, textarea'))
  }
  /** The input, focused by a click (tried again while something fading still covers it). */
  async focused(testid) {
    return fresh(async () => {
      const e = await this.input(testid)
      await e.click()
      return e
    })
  }
  /** Wait until the focus is inside `testid`: a dialog has finished opening once it has put
   * the focus on its first field, and keys typed before then can land in that field. */
  async hasFocus(testid, ms = 5000) {
    await this.d.wait(
      () => this.d.executeScript(`return !!document.activeElement?.closest('[data-testid="${testid}"]')`),
      ms,
      `the focus never reached ${testid}`,
    )
  }
  async type(testid, text) {
    const e = await this.focused(testid)
    await e.sendKeys(text)
    return e
  }
  /** Replace whatever an input holds with `text`. */
  async retype(testid, text) {
    const e = await this.focused(testid)
    await e.sendKeys(Key.chord(Key.CONTROL, 'a'), Key.BACK_SPACE)
    // Retyped as nothing: cleared (WebDriver refuses to send no keys).
    if (text !== '') await e.sendKeys(text)
    return e
  }
  /** Type a date into an el-date-picker and commit it. */
  async date(testid, yyyyMmDd) {
    // Keys typed while a dialog is still opening, or while the picker's panel is taking the
    // focus, can be lost (CI saw a picker keep its old day once): the field is read back and
    // typed again until it holds the day.
    let value = ''
    for (let attempt = 0; attempt < 3; attempt++) {
      const e = await this.retype(testid, yyyyMmDd)
      await e.sendKeys(Key.ENTER)
      await this.d
        .findElement(By.css('body'))
        .click()
        .catch(() => {})
      const held = await this.d
        .wait(async () => {
          value = await (await this.input(testid)).getAttribute('value')
          return value === yyyyMmDd
        }, 2000)
        .catch(() => false)
      if (held) return
    }
    throw new Error(`${testid} holds ${value}, not ${yyyyMmDd}, after three tries`)
  }
  /** The header's notice of `kind` (error, success, warning) once it says something that
   * holds `expect` (an earlier notice may still be showing when the awaited one is due). */
  async notice(kind, expect = '', ms = 10000) {
    let text = ''
    await this.d.wait(
      async () => {
        text = await this.d.executeScript(
          'const m = document.querySelector(`[data-testid=notice][data-kind=${arguments[0]}]`); return m ? m.textContent : ""',
          kind,
        )
        return text.trim() !== '' && text.includes(expect)
      },
      ms,
      `no ${kind} notice saying ${expect} (last: ${text})`,
    )
    return text.trim()
  }
  /** Confirm the open ElMessageBox with its primary button. */
  async confirmBox() {
    const b = await this.d.wait(until.elementLocated(By.css('.el-message-box__btns .el-button--primary')), 5000)
    await this.d.wait(until.elementIsVisible(b), 5000)
    await b.click()
    await this.noOverlay()
  }
  async click(testid) {
    await fresh(async () => {
      const e = await this.visible(testid)
      await this.d.wait(until.elementIsEnabled(e), 5000)
      await e.click()
    })
  }
  /** Open an el-select and pick the option whose text is `label`. */
  async select(testid, label) {
    // A loading mask fading out over the select (a preview refreshed by the previous choice)
    // refuses the opening click: try again once it has gone (seen in CI).
    const open = () =>
      fresh(async () => {
        const root = await this.visible(testid)
        await root.findElement(By.css('.el-select__wrapper, .el-select, input')).click()
      })
    await open()
    // Other selects' dropdowns stay in the page once opened, hidden, with the same options (a
    // closed dialog's column selects): the option wanted is the one that shows.
    const options = By.xpath(`//li[contains(@class,'el-select-dropdown__item')][normalize-space(.)='${label}']`)
    // The opening click can open nothing at all (seen once: a dialog's select, the dialog
    // just shown): when no dropdown shows after a second and a half, click once more.
    let clicked = Date.now()
    const opt = await this.d.wait(
      async () => {
        for (const o of await this.d.findElements(options)) {
          await this.d.executeScript('arguments[0].scrollIntoView({ block: "center" })', o)
          if (await o.isDisplayed().catch(() => false)) return o
        }
        if (Date.now() - clicked > 1500) {
          clicked = Date.now()
          const shown = await this.d.executeScript(
            "return [...document.querySelectorAll('.el-select-dropdown')].some((d) => d.getClientRects().length > 0)",
          )
          if (!shown) await open()
        }
        return false
      },
      8000,
      `no option ${label} shows for ${testid}`,
    )
    // The dropdown opens with a transition: a click while the option still moves can land
    // beside it and the dropdown stays open (seen once in CI). Click once it stands still, and
    // once more if the dropdown is still open (choosing the same option again changes nothing).
    // (Read in the page: WebKit's WebDriver refuses an element's rect while it animates.)
    const at = () => this.d.executeScript('const r = arguments[0].getBoundingClientRect(); return `${r.x},${r.y}`', opt)
    await this.d.wait(async () => {
      const a = await at()
      await this.d.sleep(80)
      return a === (await at())
    }, 5000)
    // The dropdown fades out over whatever lies below it; wait until it is gone (a removed
    // option is gone too).
    const closed = (ms) =>
      this.d.wait(until.elementIsNotVisible(opt), ms).then(
        () => true,
        (e) => {
          if (e.name === 'StaleElementReferenceError') return true
          if (e.name === 'TimeoutError') return false
          throw e
        },
      )
    // WebKit's driver now and then calls an option that shows and stands still "not
    // interactable" (a dropdown scrolled inside a scrolled page: seen in the settings'
    // mappings). Scroll it into view once more and try again; if the driver still refuses,
    // the option gets the click event it listens for from the page.
    const choose = async () => {
      for (let i = 0; ; i++) {
        try {
          return await opt.click()
        } catch (e) {
          if (!['ElementNotInteractableError', 'ElementClickInterceptedError'].includes(e.name)) throw e
          if (i >= 2) return this.d.executeScript('arguments[0].click()', opt)
          await this.d.executeScript('arguments[0].scrollIntoView({ block: "center" })', opt)
          await this.d.sleep(200)
        }
      }
    }
    await choose()
    if (!(await closed(2500))) {
      await choose()
      if (!(await closed(5000))) throw new Error(`the ${testid} dropdown stays open after choosing ${label}`)
    }
  }
  /** Type into a filterable el-cascader and pick the first suggestion containing `label`. */
  async cascade(testid, query, label) {
    const input = await this.input(testid)
    await input.click()
    await input.sendKeys(query)
    const item = await this.d.wait(
      until.elementLocated(
        By.xpath(`//li[contains(@class,'el-cascader__suggestion-item')][contains(normalize-space(.),'${label}')]`),
      ),
      5000,
    )
    await this.d.wait(until.elementIsVisible(item), 5000)
    await item.click()
    // Like a select's dropdown, the suggestions fade out over what lies below them.
    await this.d.wait(until.elementIsNotVisible(item), 5000).catch((e) => {
      if (e.name !== 'StaleElementReferenceError') throw e
    })
  }
  /** Wait until no dialog or its fading overlay covers the page. */
  async noOverlay(ms = 10000) {
    await this.d.wait(
      async () => {
        // WebKitWebDriver can report an overlay that Vue removes while the list is being built as
        // stale inside findElements itself; that only means "still changing", so look again.
        const overlays = await this.d.findElements(By.css('.el-overlay')).catch((e) => {
          if (e.name === 'StaleElementReferenceError') return null
          throw e
        })
        if (overlays === null) return false
        for (const o of overlays) {
          if (await o.isDisplayed().catch(() => false)) return false
        }
        return true
      },
      ms,
      'a dialog stayed open',
    )
  }
  /**
   * Close the open drawer with its close button and wait until it is gone; a click that
   * landed while the drawer was still sliding in is ignored by it, so click again.
   */
  async closeDrawer(ms = 15000) {
    const end = Date.now() + ms
    for (;;) {
      for (const b of await this.d.findElements(By.css('.el-drawer__close-btn')).catch(() => [])) {
        if (await b.isDisplayed().catch(() => false)) await b.click().catch(() => {})
      }
      try {
        return await this.noOverlay(2000)
      } catch (e) {
        if (Date.now() > end) throw e
      }
    }
  }
  /**
   * Close the open dialog the way a secretary does, with Esc. Element Plus hears Esc on the
   * document only while the dialog's focus layer is on top; once in a CI run (journey 19,
   * 2026-12-06) an Esc sent after a long wait closed nothing, so after a few seconds the
   * dialog's × closes it and the log says so, rather than the journey failing on the key.
   */
  async escape() {
    await this.d.actions().sendKeys(Key.ESCAPE).perform()
    try {
      return await this.noOverlay(4000)
    } catch {
      console.log('# Esc left the dialog open; closing it with its ×')
    }
    for (const b of await this.d.findElements(By.css('.el-dialog__headerbtn')).catch(() => [])) {
      if (await b.isDisplayed().catch(() => false)) await b.click().catch(() => {})
    }
    await this.noOverlay()
  }
  async text(testid) {
    return fresh(async () => {
      const e = await this.visible(testid)
      // WebKit reports no text for what lies outside the viewport.
      await this.d.executeScript('arguments[0].scrollIntoView({ block: "center" })', e)
      return e.getText()
    })
  }
  /** The element's text as it is now, or null while Vue is replacing it. */
  async textNow(testid) {
    try {
      const e = await this.d.findElement(By.css(`[data-testid="${testid}"]`))
      await this.d.executeScript('arguments[0].scrollIntoView({ block: "center" })', e)
      return await e.getText()
    } catch (e) {
      if (e.name === 'StaleElementReferenceError' || e.name === 'NoSuchElementError') return null
      throw e
    }
  }
  async waitText(testid, expected, ms = 10000) {
    await this.el(testid, ms)
    await this.d.wait(
      async () => (await this.textNow(testid))?.includes(expected) ?? false,
      ms,
      `${testid} never showed ${expected}`,
    )
  }
  async waitTextChange(testid, from, ms = 10000) {
    await this.el(testid, ms)
    let now = null
    await this.d.wait(
      async () => {
        now = await this.textNow(testid)
        return now !== null && now !== from
      },
      ms,
      `${testid} stayed ${from}`,
    )
    return now
  }
  async screenshot(name) {
    mkdirSync(ARTIFACTS, { recursive: true })
    // What a person would see once things settle: a notice fading in, a dialog opening, are
    // shown as they end, not as their first frame (at most 2 s; infinite ones are spinners).
    await this.d
      .wait(
        () =>
          this.d.executeScript(
            "return document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity)",
          ),
        2000,
      )
      .catch(() => {})
    const png = await this.d.takeScreenshot()
    const path = join(ARTIFACTS, `${name}.png`)
    writeFileSync(path, png, 'base64')
    return path
  }
  /** Call a command over IPC from inside the page, exactly as a tampered page could. */
  async invoke(cmd, args) {
    return this.d.executeAsyncScript(
      `const [cmd, args, done] = arguments;
       window.__TAURI_INTERNALS__.invoke(cmd, args).then((ok) => done({ ok }), (err) => done({ err }))`,
      cmd,
      args,
    )
  }
  /** The app's clock now (ms), as the core reads it. */
  async appNow() {
    const r = await this.invoke('app_info', {})
    if (!r.ok) throw new Error(`app_info: ${JSON.stringify(r.err)}`)
    return r.ok.now
  }
  /** The first run: the office's first administrator (`login`, PASSWORD), signed in. */
  async firstRun(author, sample, login = 'li') {
    await this.type('setup-author', author)
    await this.type('setup-login', login)
    await this.type('setup-password', PASSWORD)
    await this.type('setup-password2', PASSWORD)
    await this.click(sample ? 'setup-sample' : 'setup-empty')
    await this.visible('case-table', 60000)
    // The store is encrypted now: its recovery key is shown once, to this administrator.
    await this.visible('recovery-dialog', 15000)
    await this.saveRecoveryKey()
  }
  /** Read the recovery key the window shows once (kept as `this.recoveryKey`) and confirm it is saved. */
  async saveRecoveryKey() {
    this.recoveryKey = (await this.text('recovery-key')).trim()
    await this.click('recovery-saved')
    await this.d.wait(async () => !(await this.displayed('recovery-dialog')), 10000, 'the recovery key dialog stays')
  }
  /** An administrator opens an account under Settings → Accounts (role by its label). */
  async addAccount(login, name, roleLabel) {
    await this.click('nav-settings')
    await this.type('account-login', login)
    await this.type('account-name', name)
    await this.select('account-role', roleLabel)
    await this.type('account-password', PASSWORD)
    await this.click('account-add')
    await this.visible(`account-${login}`)
  }
  /** File a fire-lane complaint at the intake page; returns the new case's number. */
  async fileCase(description = '27栋楼下消防通道被私家车长期占用') {
    await this.click('nav-intake')
    await this.type('f-phone', '13912345678')
    await this.retype('f-name', '王秀英')
    await this.type('f-building', '27栋')
    await this.cascade('f-category', '消防通道', '占用消防通道')
    const desc = await this.type('f-description', description)
    await desc.sendKeys(Key.chord(Key.CONTROL, Key.ENTER))
    await this.waitText('case-state', '待派单')
    return (await this.text('case-number')).trim()
  }
  /** Take case action `action` through its dialog: open it, `fill` it, confirm, wait until it is gone. */
  async act(action, fill) {
    await this.noOverlay()
    await this.click(`act-${action}`)
    await this.visible('a-submit')
    if (fill) await fill()
    await this.click('a-submit')
    await this.noOverlay()
  }
  /** Enrol this PC as `office` with the journey's server (server.mjs) and wait until it has synced. */
  async enrol(server, office = 'hm') {
    await this.click('nav-settings')
    await this.type('s-server', server.url)
    await this.type('s-code', server.code(office))
    await this.click('s-enrol')
    await this.d.wait(
      async () => (await (await this.el('sync-state')).getAttribute('data-state')) === 'synced',
      30000,
      'never synced',
    )
  }
  /** Sign in at the sign-in screen (after a restart, a sign-out or the idle lock). */
  async signIn(login, password = PASSWORD) {
    await this.visible('sign-in')
    await this.retype('sign-in-login', login)
    await this.type('sign-in-password', password)
    await this.click('sign-in-submit')
    await this.d.wait(async () => !(await this.exists('sign-in')), 15000, 'the sign-in screen stays')
    // An administrator's first sign-in on a store encrypted at start (an earlier version's)
    // shows its recovery key once.
    const unsaved = await this.invoke('unsaved_recovery_key', {})
    if (unsaved.ok) {
      await this.visible('recovery-dialog', 15000)
      await this.saveRecoveryKey()
    }
  }
}

/** The password every journey's accounts are given. */
export const PASSWORD = 'jiesu-2026'

/**
 * Run a journey on a fresh app (`options` as for `launch`); on failure, keep a screenshot of
 * what the window showed. Returns everything the app and its drivers wrote to stderr during
 * the session.
 */
export async function journey(name, fn, options = {}) {
  const session = await launch(options)
  try {
    await fn(session)
  } catch (e) {
    await session.ui.screenshot(`${name}-FAILED`).catch(() => {})
    await session.close()
    throw e
  }
  return session.close()
}

export { By, Key, until }
