// The journey of issue 5 in the real window: the dashboard on the sample community, a click
// on a ranking bar, and the exact list of cases that bar counts; the monthly .xlsx and the
// A4 print layout. It holds on any day (the Makefile also runs it on a pinned awkward date):
// it looks at the *previous* quarter and month, which the sample's four months always fill,
// and what it expects of 本季度 / 本月 it derives from the app's own clock.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { chinaDate, journey, By, until } from './harness.mjs'

/** 'YYYY-MM-DD – YYYY-MM-DD' of the month or quarter `back` periods before the one holding `ms`, China time. */
function periodText(kind, ms, back) {
  const [y, m] = chinaDate(ms).split('-').map(Number)
  const len = kind === 'quarter' ? 3 : 1
  const first = Math.floor((y * 12 + m - 1) / len) * len - back * len
  const day = (months, d) => new Date(Date.UTC(Math.floor(months / 12), months % 12, d)).toISOString().slice(0, 10)
  return `${day(first, 1)} – ${day(first + len, 0)}`
}

/**
 * Wait until the dashboard shows the period `back` before the current `kind` by the app's
 * clock; `before` is the clock read before the click, so a run at 23:59 on the last day of a
 * month accepts the period of either side of midnight. Returns [from, to] as shown.
 */
async function waitPeriod(driver, ui, kind, back, before) {
  let shown = null
  await driver.wait(
    async () => {
      const after = await ui.appNow()
      shown = await ui.textNow('d-range')
      return [before, after].some((t) => shown === periodText(kind, t, back))
    },
    10000,
    `d-range never showed ${kind} -${back} (${periodText(kind, before, back)}); showed ${shown}`,
  )
  return shown.split(' – ')
}

test("a leader opens the dashboard, clicks a unit's ranking bar and gets the cases it counts", async () => {
  await journey('journey8', async ({ driver, ui, exportDir }) => {
    await ui.firstRun('李书记', true)
    await ui.click('nav-dashboard')
    await ui.visible('chart-ranking')
    let before = await ui.appNow()
    await ui.click('d-quarter')
    await waitPeriod(driver, ui, 'quarter', 0, before)
    // Last quarter: at least four weeks of the sample's four months, whatever the day.
    before = await ui.appNow()
    await ui.click('d-prev')
    await waitPeriod(driver, ui, 'quarter', 1, before)
    await driver.wait(until.elementLocated(By.css('[data-testid="ranking-table"] tbody tr')), 10000)
    await ui.screenshot('journey8-dashboard')

    // What the window shows is what the core computed.
    const receivedCard = await ui.text('kpi-received-0')
    const received = Number(receivedCard.match(/\d+/)[0])
    assert.ok(received >= 30, receivedCard)

    // Click the first bar of the ranking chart (horizontal bars, best first, drawn from the
    // grid's left edge at 120 px).
    const canvas = await (await ui.el('chart-ranking')).findElement(By.css('canvas'))
    // Pointer actions do not scroll: bring the chart into view first.
    await driver.executeScript('arguments[0].scrollIntoView({ block: "center" })', canvas)
    const rect = await canvas.getRect()
    const rows = await driver.findElements(By.css('[data-testid="ranking-table"] tbody tr'))
    const bars = Math.min(rows.length, 20)
    const band = (rect.height - 10 - 20) / bars
    await driver
      .actions()
      .move({ origin: canvas, x: Math.round(-rect.width / 2 + 126), y: Math.round(-rect.height / 2 + 10 + band / 2) })
      .click()
      .perform()
    await ui.visible('drill-table')
    await ui.closeDrawer()
    const unitReceived = Number(await ui.text('rank-received-0'))
    assert.ok(unitReceived >= 10, 'ranked units have the minimum sample')
    // Again, now that the number is read: the bar opens its cases.
    await driver.executeScript('arguments[0].scrollIntoView({ block: "center" })', canvas)
    const rect2 = await canvas.getRect()
    await driver
      .actions()
      .move({ origin: canvas, x: Math.round(-rect2.width / 2 + 126), y: Math.round(-rect2.height / 2 + 10 + band / 2) })
      .click()
      .perform()
    await ui.waitText('drill-total', `共 ${unitReceived} 件`)
    const drillRows = await driver.findElements(By.css('[data-testid="drill-table"] tbody tr'))
    assert.equal(drillRows.length, Math.min(unitReceived, 50))
    await ui.screenshot('journey8-drill')

    // A KPI card opens its cases too: overdue now, each row overdue.
    await ui.closeDrawer()
    const overdueCard = await driver.findElement(By.css('[data-testid^="kpi-overdue_now"]'))
    const overdue = Number((await overdueCard.getText()).match(/\d+/g)[0])
    await overdueCard.click()
    await ui.waitText('drill-total', `共 ${overdue} 件`)
    if (overdue > 0) {
      const text = await ui.text('drill-table')
      assert.match(text, /已超期/)
    }
    await ui.closeDrawer()

    // Last month's report (what an office files in the first days of a month), read back
    // with openpyxl: the received figure is the card's, the file named after the month.
    before = await ui.appNow()
    await ui.click('d-month')
    await waitPeriod(driver, ui, 'month', 0, before)
    before = await ui.appNow()
    await ui.click('d-prev')
    const [from, to] = await waitPeriod(driver, ui, 'month', 1, before)
    await driver.wait(until.elementLocated(By.css('[data-testid="ranking-table"] tbody tr')), 10000)
    const monthReceived = Number((await ui.text('kpi-received-0')).match(/\d+/)[0])

    // 环比: a past month compares with the whole month before it; the card's change is the
    // difference from what that month shows on its own.
    await ui.waitText('d-earlier', `较上月：${periodText('month', before, 2)}`)
    const change = await ui.text('kpi-change-0')
    const back2 = await ui.appNow()
    await ui.click('d-prev')
    await waitPeriod(driver, ui, 'month', 2, back2)
    const earlierReceived = Number((await ui.text('kpi-received-0')).match(/\d+/)[0])
    const d = monthReceived - earlierReceived
    assert.equal(change, d === 0 ? '持平' : `${d > 0 ? '+' : '−'}${Math.abs(d)}`)
    const fwd = await ui.appNow()
    await ui.click('d-next')
    await waitPeriod(driver, ui, 'month', 1, fwd)
    await driver.wait(until.elementLocated(By.css('[data-testid="ranking-table"] tbody tr')), 10000)
    await ui.waitText('kpi-change-0', change)
    await ui.screenshot('journey8-change')
    await ui.click('d-export')
    await ui.waitText('d-exported', '.xlsx')
    const files = readdirSync(exportDir).filter((f) => f.endsWith('.xlsx'))
    assert.equal(files.length, 1)
    assert.equal(files[0], `和美社区 ${from}至${to} 接诉即办统计.xlsx`)
    const path = join(exportDir, files[0])
    assert.equal(readFileSync(path).subarray(0, 2).toString(), 'PK')
    const read = execFileSync('/usr/bin/python3', [
      '-c',
      'import sys, openpyxl; ws = openpyxl.load_workbook(sys.argv[1])["指标"]; print([r[1] for r in ws.iter_rows(values_only=True) if r[0] == "受理"][0])',
      path,
    ])
      .toString()
      .trim()
    assert.equal(Number(read), monthReceived)
    await ui.screenshot('journey8-exported')

    // The print layout: an A4 report of the same month, the same numbers as the dashboard.
    const firstUnit = await driver.findElement(By.css('[data-testid="ranking-table"] tbody tr td:nth-child(2)'))
    await driver.executeScript('arguments[0].scrollIntoView({ block: "center" })', firstUnit)
    const best = await firstUnit.getText()
    await ui.click('d-print')
    await ui.visible('report-sheet')
    await ui.waitText('report-period', from)
    assert.match(await ui.text('report-fig-0'), new RegExp(`^受理\\s*${monthReceived}\\b`))
    await ui.waitText('report-change-0', `较上月 ${change}`)
    const cell = await driver.findElement(By.css('[data-testid="report-ranking"] tbody tr td:nth-child(2)'))
    await driver.executeScript('arguments[0].scrollIntoView({ block: "center" })', cell)
    assert.equal(await cell.getText(), best)
    await driver.wait(until.elementLocated(By.css('[data-testid="report-trend"] canvas')), 10000)
    await driver.executeScript('arguments[0].scrollIntoView({ block: "start" })', await ui.el('report-sheet'))
    await ui.screenshot('journey8-print')
  })
})
