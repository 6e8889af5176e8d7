// The journey of issue 15 in the real window: a community PC whose clock runs three years
// ahead files a case offline, enrols with the street server, is told its clock is wrong, and
// its case reaches the street with today's date (the server refused it as stamped in the
// future; the app stamped it again by the server's time and says so on the case); once the
// clock is fixed, the warning is gone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chinaDate, launch, runNow, Key } from './harness.mjs'
import { startServer } from './server.mjs'

const YEAR_MS = 365 * 86400000

/** YYMMDD of an instant, China time: how case numbers begin. */
const numberDay = (ms) => chinaDate(ms).slice(2).replace(/-/g, '')

/** Files a parking case offline from the intake form; returns the number it was given. */
async function fileParkingCase(ui, phone, name, description) {
  await ui.click('nav-intake')
  await ui.type('f-phone', phone)
  await ui.type('f-name', name)
  await ui.cascade('f-category', '小区车位', '小区车位')
  const desc = await ui.type('f-description', description)
  await desc.sendKeys(Key.chord(Key.CONTROL, Key.ENTER))
  await ui.waitText('case-state', '待派单')
  return (await ui.text('case-number')).trim()
}

test("a PC whose clock is three years ahead is told so, and its case reaches the street with today's date", async () => {
  const server = await startServer()
  const dataDir = mkdtempSync(join(tmpdir(), 'jiesu-e2e-clock-'))
  let session = null
  try {
    // 1. Offline, on a clock three years ahead: the case is numbered in the future.
    session = await launch({ dataDir, keep: true, clockOffsetMs: 3 * YEAR_MS })
    let { driver, ui } = session
    await ui.firstRun('李书记', false)
    const filed = await fileParkingCase(ui, '13800001111', '赵大爷', '小区东门晚上车位不够，车停到了消防通道')
    assert.ok(filed.startsWith(numberDay(runNow() + 3 * YEAR_MS)), `numbered on the PC's date: ${filed}`)
    await ui.screenshot('journey11-filed-ahead')

    // 2. Enrolled: the server refuses the work as stamped in the future, the app stamps it
    //    again by the server's time and sends it; the window says the clock is wrong.
    await ui.enrol(server)
    await ui.waitText('clock-wrong', '这台电脑的时钟快了', 20000)
    assert.match(await ui.text('clock-wrong'), /1095天|1096天/)
    assert.equal(await ui.exists('clock-future'), false, 'nothing left in the future')
    await ui.screenshot('journey11-told')

    // 3. The street holds it, numbered and received today, due in days, and says why.
    const today = numberDay(runNow())
    const street = server.replica('hy')
    const seen = street.find((c) => c.description.startsWith('小区东门'))
    assert.ok(seen, `the street holds the case: ${JSON.stringify(street)}`)
    assert.ok(seen.number.startsWith(today), `numbered today at the street: ${seen.number}`)
    assert.equal(seen.office, 'hm')
    assert.ok(Math.abs(seen.received_at - runNow()) < 86400000, `received ${seen.received_at}`)
    assert.ok(seen.resolve_due - seen.received_at < 10 * 86400000, 'due in days, not years')
    assert.ok(seen.steps.includes('case_times_corrected'), seen.steps.join(','))

    // The same case here: its new number, and the trace says the times were corrected.
    await ui.click('nav-cases')
    await ui.click(`case-${seen.number}`)
    await ui.visible('tl-case_times_corrected')
    assert.equal((await ui.text('case-number')).trim(), seen.number)
    assert.match(await ui.text('timeline'), /时间校正/)
    await ui.screenshot('journey11-corrected')

    // 4. The clock is fixed: the warning goes.
    await session.close()
    session = await launch({ dataDir, keep: true })
    ;({ driver, ui } = session)
    // A restart asks who is at the PC.
    await ui.signIn('li')
    await ui.visible('case-table', 30000)
    await driver.wait(
      async () => (await (await ui.el('sync-state')).getAttribute('data-state')) === 'synced',
      30000,
      'never synced after the fix',
    )
    await driver.wait(async () => !(await ui.exists('clock-wrong')), 20000, 'the warning stayed')
    await ui.visible(`case-${seen.number}`, 20000)
    await ui.visible('sync-state')
    await ui.screenshot('journey11-fixed')
  } catch (e) {
    if (session) await session.ui.screenshot('journey11-FAILED').catch(() => {})
    throw e
  } finally {
    if (session) await session.close()
    server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

// The journey of issue 17: a community PC whose clock is seven years behind files a case
// offline and enrols; the case counts from the server's receipt of it — at the street (本月
// counts it, received today, due in days) and in this window (the case page and the
// dashboard's 本月), while the trace keeps what the PC wrote beside the server's time.
test('a PC whose clock is seven years behind files offline, and the street counts its case today', async () => {
  const server = await startServer()
  const dataDir = mkdtempSync(join(tmpdir(), 'jiesu-e2e-behind-'))
  let session = null
  try {
    session = await launch({ dataDir, keep: true, clockOffsetMs: -7 * YEAR_MS })
    const { driver, ui } = session
    await ui.firstRun('李书记', false)
    const filed = await fileParkingCase(ui, '13800002222', '钱阿姨', '七号楼前的车位被长期占用，老人下楼不方便')
    assert.ok(filed.startsWith(numberDay(runNow() - 7 * YEAR_MS)), `numbered on the PC's date: ${filed}`)
    await ui.screenshot('journey12-filed-behind')

    await ui.enrol(server)
    await ui.waitText('clock-wrong', '这台电脑的时钟慢了', 20000)

    // The street: received today (the server's receipt), due in days, in its 本月.
    const street = server.replica('hy')
    const seen = street.find((c) => c.description.startsWith('七号楼前'))
    assert.ok(seen, `the street holds the case: ${JSON.stringify(street)}`)
    assert.equal(seen.number, filed, 'the number is what the PC gave it')
    assert.equal(seen.office, 'hm')
    assert.ok(Math.abs(seen.received_at - runNow()) < 3600000, `received ${seen.received_at}, now ${runNow()}`)
    assert.ok(seen.resolve_due > runNow() && seen.resolve_due - seen.received_at < 10 * 86400000, 'due in days')
    assert.equal(seen.this_month, true, "counted in the street's 本月")

    // Here too: the case page says received today, the trace keeps both times.
    await ui.click('nav-cases')
    await ui.click(`case-${filed}`)
    await ui.waitText('case-received', chinaDate(runNow()), 20000)
    await ui.visible('tl-received')
    assert.match(await ui.text('tl-received'), /服务器收到于/)
    await ui.screenshot('journey12-case')
    // And the dashboard's 本月 (the corrected month) counts it.
    await ui.click('nav-dashboard')
    await ui.click('d-month')
    await ui.waitText('d-range', chinaDate(runNow()).slice(0, 8), 20000)
    await driver.wait(
      async () => (await ui.text('kpi-received-0')).match(/\d+/)?.[0] === '1',
      20000,
      'not counted in 本月',
    )
    await ui.screenshot('journey12-dashboard')
  } catch (e) {
    if (session) await session.ui.screenshot('journey12-FAILED').catch(() => {})
    throw e
  } finally {
    if (session) await session.close()
    server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
