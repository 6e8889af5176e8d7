// Journey 18 (issue 21): a secretary's day, timed. One morning and afternoon of work on the
// sample community, in the real window at 1366×768, the way a new user drives it: phone calls
// taken, a caller's earlier case found by the tail of her number, cases dispatched and closed,
// a follow-up filed from a case, a reception day with a visitor who brings two problems, the
// dashboard read at the end of the day. Every step is asserted; the seconds each took (window
// and WebDriver together) are written to artifacts/e2e/day-timings.json and printed, and the
// figures of record are kept in docs/BENCHMARKS.md ("A secretary's day, timed"). Nothing is
// asserted about the seconds: a timed test would fail on a slow machine, not on a slow app.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { journey, Key } from './harness.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** A phone call taken at the intake page; returns the new case's number. */
async function takeCall(ui, { phone, name, building, category, description }) {
  await ui.click('nav-intake')
  await ui.type('f-phone', phone)
  await ui.retype('f-name', name)
  await ui.type('f-building', building)
  await ui.cascade('f-category', ...category)
  const desc = await ui.type('f-description', description)
  await desc.sendKeys(Key.chord(Key.CONTROL, Key.ENTER))
  await ui.waitText('case-state', '待派单')
  return (await ui.text('case-number')).trim()
}

async function openCase(ui, driver, number) {
  await ui.click('nav-cases')
  await ui.retype('search', number)
  await ui.visible(`case-${number}`)
  await driver.executeScript(`document.querySelector('[data-testid="case-${number}"]').click()`)
  await ui.waitText('case-number', number)
}

test("a secretary's day in the window, every step timed", async () => {
  const steps = []
  const timed = async (step, fn) => {
    const t0 = performance.now()
    const out = await fn()
    steps.push({ step, seconds: Math.round(performance.now() - t0) / 1000 })
    return out
  }
  await journey('day', async ({ ui, driver }) => {
    await driver.manage().window().setRect({ width: 1366, height: 768 })
    await timed('first run with the sample community', () => ui.firstRun('李书记', true))
    const total = Number((await ui.text('status-cases')).match(/\d+/)[0])

    // 08:30 — the morning's phone calls.
    const leak = await timed('phone call 1: a leak', () =>
      takeCall(ui, {
        phone: '13700001111',
        name: '周阿姨',
        building: '5栋',
        category: ['屋顶', '屋顶渗漏'],
        description: '5栋顶楼下雨就漏水，墙皮都泡起来了',
      }),
    )
    const parking = await timed('phone call 2: a blocked fire lane', () =>
      takeCall(ui, {
        phone: '13700002222',
        name: '吴师傅',
        building: '27栋',
        category: ['消防通道', '占用消防通道'],
        description: '27栋楼下消防通道又被私家车堵了',
      }),
    )
    const light = await timed('phone call 3: a street light', () =>
      takeCall(ui, {
        phone: '13700003333',
        name: '郑大爷',
        building: '3栋',
        category: ['路灯', '路灯'],
        description: '3号楼门口路灯不亮，晚上老人看不见路',
      }),
    )
    await ui.waitText('status-cases', String(total + 3))

    // The caller of the leak rings again: found by the tail of her number, not its number.
    await timed('find a caller by her phone tail', async () => {
      await ui.click('nav-cases')
      await ui.retype('search', '电话:1111')
      await ui.visible(`case-${leak}`)
    })

    // Dispatch the leak and the light; the fire lane is solved on the phone.
    await timed('open a case from the list', () => openCase(ui, driver, leak))
    await timed('dispatch to a unit', async () => {
      await ui.act('dispatch', () => ui.select('a-unit', '物业公司'))
      await ui.waitText('case-state', '待签收')
    })
    await openCase(ui, driver, light)
    await ui.act('dispatch', () => ui.select('a-unit', '物业公司'))
    await ui.waitText('case-state', '待签收')
    await openCase(ui, driver, parking)
    await timed('resolve on the spot', async () => {
      await ui.act('resolve_on_spot', () => ui.type('a-result', '已联系车主挪车'))
      await ui.waitText('case-state', '待回访')
    })
    await timed('return visit', async () => {
      await ui.act('visit', () => ui.click('sat-satisfied'))
      await ui.waitText('case-state', '已回访')
    })

    // 11:00 — the leak needs the housing office too: a follow-up, one click from the case.
    await openCase(ui, driver, leak)
    const followUp = await timed('follow-up case from a case', async () => {
      await ui.click('follow-up')
      await ui.visible('follow-of')
      const desc = await ui.type('f-description', '5栋屋面防水需要维修资金，报住建部门')
      await desc.sendKeys(Key.chord(Key.CONTROL, Key.ENTER))
      await ui.waitText('case-state', '待派单')
      return (await ui.text('case-number')).trim()
    })
    assert.notEqual(followUp, leak)
    await ui.waitText('case-links', leak)

    // 14:00 — the reception day: one visitor, two problems, signed in once.
    await timed('schedule the reception day', async () => {
      await ui.click('nav-meetings')
      await ui.click('m-new')
      await ui.click('m-kind-reception_day')
      await ui.type('m-title', '十二月大接访')
      await ui.click('m-create')
      await ui.waitText('meeting-title', '十二月大接访')
      await ui.noOverlay()
      await ui.visible('capture')
    })
    await timed('visitor: first problem', async () => {
      await ui.type('v-name', '孙阿姨')
      await ui.type('v-phone', '13700004444')
      await ui.type('v-building', '8栋')
      await ui.cascade('v-category', '养老', '养老服务')
      await ui.type('v-desc', '咨询养老服务补贴怎么申领')
      await ui.type('v-result', '当场讲解申领流程并发放材料清单')
      await ui.click('v-submit')
      await ui.waitText('sum-onspot', '1')
    })
    // A long paste (a letter the visitor brought, 20,000 characters) is counted at once and
    // refused before saving with the limit named; the window stays responsive.
    await timed('a 20,000-character paste at reception', async () => {
      await driver.executeScript(`
        const e = document.querySelector('[data-testid=v-desc]')
        const area = e.tagName === 'TEXTAREA' ? e : e.querySelector('textarea')
        area.value = '楼上漏水'.repeat(5000)
        area.dispatchEvent(new Event('input', { bubbles: true }))`)
      await ui.waitText('v-desc-count', '20000 / 4000')
      await ui.click('v-submit')
      const refused = await ui.notice('error', '4000')
      assert.match(refused, /20000/)
    })
    await ui.screenshot('day-long-paste')
    await timed('same visitor: second problem', async () => {
      // The form is empty again after a save: she is typed in again and recognised.
      await ui.type('v-name', '孙阿姨')
      await ui.type('v-phone', '13700004444')
      await ui.type('v-building', '8栋')
      await ui.cascade('v-category', '屋顶', '屋顶渗漏')
      await ui.retype('v-desc', '8栋顶楼楼梯间窗户漏雨')
      await ui.click('v-registered')
      await ui.click('v-submit')
      await ui.waitText('sum-problems', '2')
    })
    assert.equal(await ui.text('sum-visitors'), '1', 'one visitor with two problems')
    await ui.waitText('status-cases', String(total + 6))

    // 17:00 — the day's figures.
    await timed('open the dashboard', async () => {
      await ui.click('nav-dashboard')
      await ui.visible('chart-ranking')
    })
    await ui.screenshot('day-dashboard')
    await timed('back to the case list', async () => {
      await ui.click('nav-cases')
      await ui.retype('search', '')
      await ui.waitText('total', String(total + 6))
    })
  })

  const out = join(root, 'artifacts/e2e')
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'day-timings.json'), JSON.stringify(steps, null, 2))
  const width = Math.max(...steps.map((s) => s.step.length))
  for (const s of steps) console.log(`${s.step.padEnd(width)}  ${s.seconds.toFixed(2)} s`)
  console.log(`${'the whole day'.padEnd(width)}  ${steps.reduce((a, s) => a + s.seconds, 0).toFixed(2)} s`)
})
