// The overdue desk of issue 5 in the real window: a desktop notification when the app starts
// with a case falling due, another when that case becomes overdue while the window runs
// (received by a real notification daemon), the desk's lists following, and 催办 from the desk.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launch, notificationDaemon, runNow, By, until } from './harness.mjs'

/** How long after the second start the urgent case falls due. */
const LEAD_MS = 45_000

test('a secretary is notified of a case falling due and overdue, finds it on the desk and urges the unit', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jiesu-e2e-desk-'))
  const daemon = notificationDaemon()
  let first = null
  let second = null
  try {
    // 1. An empty office receives an urgent case (resolve within 24 h) and dispatches it.
    first = await launch({ dataDir, keep: true })
    await first.ui.firstRun('李书记', false)
    const received = await first.ui.invoke('receive_case', {
      input: {
        channel: 'phone',
        work_order_no: '',
        category: 'parking.illegal.fire_lane',
        urgency: 'urgent',
        resident: { name: '王秀英', phone: '13800138000' },
        address: { building: '27栋', unit: '2单元', room: '301室', text: '' },
        description: '消防通道被货车堵死，救护车进不来',
        location: '27栋楼下',
        attachment: null,
      },
    })
    assert.ok(received.ok, JSON.stringify(received.err))
    const urgent = received.ok
    const dispatched = await first.ui.invoke('act', {
      caseId: urgent.id,
      command: { action: 'dispatch', unit: 'property', note: '' },
    })
    assert.ok(dispatched.ok, JSON.stringify(dispatched.err))
    await first.close()
    first = null

    // 2. The app starts again with its clock LEAD_MS short of the deadline (as a PC whose
    //    clock runs a day ahead would): the start-up notification counts the case as due soon.
    second = await launch({
      dataDir,
      clockOffsetMs: urgent.resolve_due - runNow() - LEAD_MS,
    })
    const { driver, ui } = second
    const started = Date.now()
    // The watch starts once someone is signed in: the restart asks who is at the PC.
    await ui.signIn('li')
    await ui.visible('case-table', 30000)
    await daemon.waitFor('1 件案件将在24小时内到期', 20000)
    await ui.click('nav-desk')
    await ui.waitText('desk-soon-count', '24小时内到期 1 件')
    await ui.waitText('desk-overdue-count', '已超期 0 件')
    assert.ok(await ui.exists(`desk-soon-${urgent.number}`))
    await ui.screenshot('journey9-desk-due-soon')

    // 3. The deadline passes while the window runs: one notification for that case, and the
    //    open desk moves it to the overdue list, with the header's count.
    await daemon.waitFor(`案件 ${urgent.number} 已超期`, LEAD_MS + 60000)
    assert.ok(Date.now() - started >= LEAD_MS - 5000, 'not announced before it fell due')
    await ui.visible(`desk-overdue-${urgent.number}`, 15000)
    await ui.waitText('desk-overdue-count', '已超期 1 件')
    await ui.waitText('status-overdue', '超期 1 件')
    assert.match(await ui.text(`desk-late-${urgent.number}`), /已超期/)
    assert.match(daemon.seen(), /消防通道被货车堵死，救护车进不来 · 物业公司/)
    await ui.screenshot('journey9-desk-overdue')

    // 4. 催办 from the desk: a traced step on the case.
    await ui.click(`desk-urge-${urgent.number}`)
    await ui.visible('action-dialog')
    await ui.type('a-note', '请物业立即清障')
    await ui.click('a-submit')
    await ui.noOverlay()
    const detail = await ui.invoke('case_detail', { caseId: urgent.id })
    const kinds = detail.ok.timeline.map((s) => s.event.body.kind)
    assert.ok(kinds.includes('case_urged'), kinds.join(','))
    // Announced once, however many polls passed.
    const announced = daemon
      .seen()
      .split('\n')
      .filter((l) => l.includes('summary:') && l.includes(`案件 ${urgent.number} 已超期`))
    assert.equal(announced.length, 1)
    await driver.wait(until.elementLocated(By.css(`[data-testid="desk-overdue-${urgent.number}"]`)), 5000)
    await ui.screenshot('journey9-urged')
  } catch (e) {
    const s = second ?? first
    if (s) await s.ui.screenshot('journey9-FAILED').catch(() => {})
    throw e
  } finally {
    if (first) await first.close()
    if (second) await second.close()
    daemon.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
