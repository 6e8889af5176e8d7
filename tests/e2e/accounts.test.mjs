// The journeys of issue 18 so far: accounts and roles in the real window. The first run makes
// the administrator, who opens a worker's and a viewer's account; the worker files a case under
// their own name, sees the phone masked and reveals it, and cannot manage accounts; the viewer
// reads, verifies the trace and is refused every write with the clear message; the window
// locks itself after the idle time; the administrator finds the reveal in the access log; the
// session's whole log names no resident.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { journey, Key, By } from './harness.mjs'

test('an administrator opens accounts; a worker files under their own name; a viewer reads and writes nothing; the PC locks itself', async () => {
  const log = await journey('journey13', async ({ driver, ui }) => {
    await ui.firstRun('李书记', false)
    await ui.waitText('status-user', '李书记（管理员）')
    await ui.addAccount('zhang', '张晓', '社区工作者')
    await ui.addAccount('kan', '街道督查', '查看')
    await ui.screenshot('journey13-accounts')

    // The worker signs in at the same PC and files a case: the trace names them.
    await ui.click('sign-out')
    await ui.signIn('zhang')
    await ui.waitText('status-user', '张晓（社区工作者）')
    const number = await ui.fileCase()
    assert.match(await ui.text('timeline'), /张晓/)
    // The number is masked; 显示 shows it to the worker, and the access log records it.
    assert.equal((await ui.text('case-resident-phone')).trim(), '139****5678')
    await ui.click('reveal-phone')
    await ui.waitText('case-resident-phone', '13912345678')
    await ui.screenshot('journey13-worker-case')
    // 回执: the worker hands the resident the number and the lookup code issued at intake.
    await ui.click('receipt-open')
    await ui.visible('receipt-code')
    assert.match(await ui.text('receipt-code'), /^\d{4} \d{4}$/)
    assert.equal((await ui.text('receipt-number')).trim(), number)
    await ui.screenshot('journey13-receipt')
    await driver.findElement(By.css('body')).sendKeys(Key.ESCAPE)
    await ui.noOverlay()
    // Accounts are the administrator's: not on the worker's settings page, and refused by the
    // core when asked all the same.
    await ui.click('nav-settings')
    await ui.visible('s-my-password')
    assert.ok(!(await ui.exists('accounts')), 'the worker sees no accounts panel')
    const asked = await ui.invoke('accounts', {})
    assert.equal(asked.err?.code, 'forbidden')

    // The viewer reads the case and every write is refused with the clear message.
    await ui.click('sign-out')
    await ui.signIn('kan')
    await ui.waitText('status-user', '街道督查（查看）')
    await ui.click('nav-cases')
    await ui.click(`case-${number}`)
    await ui.waitText('case-state', '待派单')
    await ui.noOverlay()
    // The inspector verifies the trace: every step's signature and link hold.
    await ui.click('verify-trace')
    await ui.waitText('trace-intact', '完整，未被改动')
    assert.match(await ui.text('trace-intact'), /2 步留痕的签名和前后衔接全部核验通过/)
    await ui.screenshot('journey13-trace-verified')
    await ui.click('act-urge')
    await ui.visible('a-submit')
    await ui.type('a-note', '请尽快处理')
    await ui.click('a-submit')
    assert.equal(await ui.notice('error', '「查看」'), '「查看」账号不能「督办催办」，未作任何改动')
    await ui.screenshot('journey13-viewer-refused')
    const detail = await ui.invoke('case_detail', {
      caseId: (await driver.getCurrentUrl()).split('/cases/')[1],
    })
    assert.equal(detail.ok.timeline.length, 2, 'nothing written: the intake and its lookup code')
    // Nor may the viewer read or reissue the lookup code: it opens the case to anyone.
    assert.ok(!(await ui.exists('receipt-open')))
    const receipt = await ui.invoke('case_receipt', { caseId: detail.ok.case.id })
    assert.ok(receipt.err, 'the viewer gets no lookup code')

    // The administrator sets a one-minute idle lock; left alone, the window locks itself and
    // says why, and nothing can be read until someone signs in again.
    await driver.findElement(By.css('body')).sendKeys(Key.ESCAPE)
    await ui.click('sign-out')
    await ui.signIn('li')
    await ui.click('nav-settings')
    await ui.retype('account-idle', '1')
    await ui.click('account-idle-save')
    await driver.wait(async () => (await ui.invoke('app_info', {})).ok.idle_minutes === 1, 5000, 'idle time saved')
    await ui.visible('sign-in-locked', 100000)
    await ui.screenshot('journey13-locked')
    const locked = await ui.invoke('list_cases', { query: {} })
    assert.equal(locked.err?.code, 'sign_in_required')
    await ui.signIn('li')
    await ui.visible('accounts')
    await ui.waitText('access-log-who', '张晓')
    assert.equal((await ui.text('access-log-field')).trim(), '联系电话')
    await ui.screenshot('journey13-access-log')
  })
  // The whole session's log (the app's and its drivers' stderr) names no resident: the case
  // filed and revealed above was 王秀英's, phone 13912345678.
  assert.match(log, /jiesu: store /, 'the log was captured')
  for (const secret of ['13912345678', '王秀英', '秀英']) {
    assert.ok(!log.includes(secret), `the log holds a resident's detail: ${secret}`)
  }
})
