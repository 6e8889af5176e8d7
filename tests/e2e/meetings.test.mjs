// The journeys of issue 4 in the real window: a residents' council whose decision becomes a
// tracked case and whose approved minutes are locked and exported, and a reception day where
// one visitor is helped on the spot and another leaves with a printed commitment letter.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { chinaDate as dateOf, journey, runNow, By, until } from './harness.mjs'

/** YYYY-MM-DD in China time, `days` from now on the run's clock (what the app reads). */
function chinaDate(days) {
  return dateOf(runNow() + days * 86400000)
}

async function scheduleMeeting(ui, kind, title, facilitator, starts) {
  await ui.click('nav-meetings')
  await ui.click('m-new')
  await ui.click(`m-kind-${kind}`)
  await ui.type('m-title', title)
  if (starts) await ui.date('m-starts', starts)
  await ui.type('m-place', '社区二楼会议室')
  if (facilitator) await ui.retype('m-facilitator', facilitator)
  await ui.click('m-create')
  await ui.waitText('meeting-title', title)
  await ui.noOverlay()
}

async function addAttendee(ui, name, role, org, signedNow) {
  await ui.retype('att-name', name)
  if (role) await ui.select('att-role', role)
  await ui.retype('att-org', org)
  const box = await ui.el('att-signed')
  const checked = (await box.getAttribute('class')).includes('is-checked')
  if (checked !== signedNow) await box.click()
  await ui.click('att-add')
}

test('a facilitator runs a parking council: sign-in, minutes, a decision becomes a case, approval locks, .docx exported', async () => {
  await journey('journey6', async ({ driver, ui, exportDir }) => {
    await ui.firstRun('李书记', false)
    // The facilitator has an account of their own: approval is theirs to sign.
    await ui.addAccount('wang', '王主任', '议事主持人')
    await scheduleMeeting(ui, 'council', '关于小区停车难的居民议事会', '王主任')

    await addAttendee(ui, '张建国', null, '27栋', true)
    await ui.waitText('sum-signed', '1/1')
    await addAttendee(ui, '刘经理', '职能单位', '和美物业', true)
    await ui.waitText('sum-signed', '2/2')
    await addAttendee(ui, '陈老板', '企业商户', '东门超市', false)
    await ui.waitText('sum-signed', '2/3')
    await ui.click('att-sign-2')
    await ui.waitText('sum-signed', '3/3')

    await ui.type('agenda-title', '增设夜间停车位')
    await ui.click('agenda-add')
    await ui.visible('agenda-0')
    await ui.type('minutes-0', '居民反映夜间无处停车。物业同意开放东侧空地，由物业施划临时停车位。')
    await ui.click('minutes-save-0')

    await ui.click('item-add-0')
    await ui.click('it-kind-action')
    await ui.type('it-text', '东侧空地施划临时停车位')
    await ui.select('it-owner', '物业公司')
    await ui.date('it-deadline', chinaDate(7))
    await ui.click('it-submit')
    await ui.noOverlay()

    // The action item becomes a case in one step, already dispatched to its owner.
    await ui.click('item-case-0')
    await ui.cascade('ic-category', '停车位', '小区车位')
    await ui.click('ic-submit')
    await ui.noOverlay()
    await ui.waitText('action-state-0', '待签收')
    const id = (await driver.getCurrentUrl()).split('/meetings/')[1]
    const opened = (await ui.invoke('meeting_detail', { meetingId: id })).ok
    assert.equal(opened.cases.length, 1)
    assert.equal(opened.cases[0].handling_unit, 'property')
    assert.equal(opened.cases[0].summary, '东侧空地施划临时停车位')
    assert.equal(opened.cases[0].item_kind, 'action')
    await ui.screenshot('journey6-draft')

    // Approval belongs to the facilitator: 李书记 hands the PC over, 王主任 signs in and finds
    // the meeting open, and approves as themselves.
    await ui.click('m-approve')
    await ui.confirmBox()
    await ui.signIn('wang')
    await ui.waitText('status-user', '王主任（议事主持人）')
    await ui.click('m-approve')
    await ui.confirmBox()
    await ui.waitText('meeting-minutes-state', '已审定')
    await ui.waitText('minutes-text-0', '居民反映夜间无处停车')
    assert.ok(!(await ui.exists('minutes-save-0')), 'locked minutes offer no editor')

    // Even a forced IPC edit is refused with the clear error and changes nothing.
    const detail = await ui.invoke('meeting_detail', { meetingId: id })
    const agenda = detail.ok.meeting.agenda[0].id
    const res = await ui.invoke('meeting_act', {
      meetingId: id,
      command: { command: 'record_minutes', agenda, text: '偷偷改写' },
    })
    assert.equal(res.err?.code, 'minutes_locked')
    const after = await ui.invoke('meeting_detail', { meetingId: id })
    assert.equal(after.ok.timeline.length, detail.ok.timeline.length, 'nothing written')

    // A correction is an amendment shown beside the original.
    await ui.select('amend-agenda', '增设夜间停车位')
    await ui.type('amend-text', '开放时间为每晚七点至次日七点')
    await ui.type('amend-reason', '会上口头约定，漏记')
    await ui.click('amend-submit')
    await ui.waitText('agenda-0', '开放时间为每晚七点至次日七点')
    await ui.visible('mtl-minutes_amended')

    await ui.click('m-export-docx')
    await ui.waitText('m-exported', '.docx')
    const files = readdirSync(exportDir).filter((f) => f.endsWith('.docx'))
    assert.equal(files.length, 1)
    assert.match(files[0], /关于小区停车难的居民议事会 纪要\.docx$/)
    assert.equal(readFileSync(join(exportDir, files[0])).subarray(0, 2).toString(), 'PK')
    await ui.click('m-export-ics')
    await driver.wait(() => readdirSync(exportDir).some((f) => f.endsWith('.ics')), 5000)
    await ui.screenshot('journey6-approved')

    // The printable minutes.
    await ui.click('m-print')
    await ui.waitText('minutes-sheet', '东侧空地施划临时停车位')
    assert.match(await ui.text('minutes-sheet'), /应到 3 人，实到 3 人/)
    await ui.screenshot('journey6-minutes-print')

    // The case knows its meeting.
    await driver.navigate().back()
    await ui.waitText('action-state-0', '待签收')
    await (await driver.findElement(By.css('[data-testid="m-actions"] .el-link'))).click()
    await ui.waitText('case-meetings', '关于小区停车难的居民议事会')
    assert.equal(await ui.text('case-state'), '待签收')
  })
})

test('a reception day on a PC set to another zone: the start is China time; one visitor solved on the spot, another leaves with a printed commitment letter', async () => {
  // The PC is set to Los Angeles' zone: the start typed is China time, and shown as typed.
  const starts = `${chinaDate(0)} 08:30`
  await journey('journey7', async ({ driver, ui }) => {
    await ui.firstRun('李书记', false)
    await scheduleMeeting(ui, 'reception_day', '十一月大接访', null, starts)
    await ui.visible('capture')
    await ui.waitText('meeting-when', starts)

    await ui.type('v-name', '赵阿姨')
    await ui.type('v-phone', '13900000001')
    await ui.type('v-building', '5栋')
    await ui.cascade('v-category', '养老', '养老服务')
    await ui.type('v-desc', '咨询养老服务补贴怎么申领')
    await ui.type('v-result', '当场讲解申领流程并发放材料清单')
    await ui.click('v-submit')
    await ui.waitText('sum-onspot', '1')
    // The header's count follows the store, not the page that wrote (issue 21).
    await ui.waitText('status-cases', '案件 1 件')

    await ui.retype('v-name', '钱师傅')
    await ui.retype('v-phone', '13900000002')
    await ui.retype('v-building', '5栋')
    await ui.cascade('v-category', '屋顶', '屋顶渗漏')
    await ui.retype('v-desc', '5栋顶楼下雨就漏水')
    await ui.click('v-letter')
    await ui.type('v-promise', '协调物业维修屋面防水')
    const due = chinaDate(5)
    await ui.date('v-due', due)
    await ui.click('v-submit')
    await ui.waitText('sum-letters', '1')
    await ui.waitText('status-cases', '案件 2 件')
    assert.equal(await ui.text('sum-visitors'), '2')
    assert.equal(await ui.text('sum-problems'), '2')
    assert.equal(await ui.text('sum-open'), '1')
    await ui.screenshot('journey7-reception')

    await ui.click('v-print-letter')
    await ui.waitText('letter-sheet', '承　诺　书')
    assert.equal(await ui.text('letter-promise'), '协调物业维修屋面防水')
    assert.equal(await ui.text('letter-problem'), '5栋顶楼下雨就漏水')
    assert.equal(await ui.text('letter-due'), due)
    assert.equal(await ui.text('letter-responsible'), '李书记')
    assert.match(await ui.text('letter-office'), /和美社区/)
    assert.equal(await ui.text('letter-status'), '履约中')
    assert.match(await ui.text('letter-sheet'), /钱师傅/)
    await ui.screenshot('journey7-letter')

    // The letter is tracked on the case and in the list.
    await driver.navigate().back()
    await ui.click('nav-cases')
    await ui.click('filter-letter')
    await driver.wait(until.elementLocated(By.css('[data-testid^="letter-"]')), 5000)
    assert.equal(await ui.text('total'), '共 1 件')
  }, { env: { TZ: 'America/Los_Angeles' } })
})
