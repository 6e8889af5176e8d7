// Journey 16 (issue 19): work that arrives from elsewhere.
// 1. A 12345 export imported from the window: an .xlsx written by openpyxl (a title row, a
//    real date cell and text dates, one row with a date no one can read, one with a city
//    category the office has not placed) is dropped on the import dialog; the preview shows
//    what Jiesu reads; the secretary places the unknown category; the import reports the
//    broken row; one order repeats a case the office already holds: the preview and the report
//    say so and the secretary merges it from the report with one click; the work order is
//    found by its number and its case shows the work order's own columns; importing the same
//    file again creates nothing. The remembered mapping is corrected in Settings (the next file
//    reads so) and then forgotten.
// 2. Duplicates at intake: typing a complaint like one already held suggests it, says why,
//    and the new case is merged into it with one click; the case it joined shows the merge
//    (issue 21: links from both ends), and 新建关联案件 files a follow-up linked to it with the
//    resident carried over.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { journey, Key } from './harness.mjs'

/** The city's export, written by openpyxl into `path`. */
function writeExport(path) {
  const script = `
import sys, datetime, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = '工单'
ws.append(['朝阳区12345工单导出（2026-11-29）'])
ws.append(['工单编号', '派发时间', '工单类型', '问题分类', '标题', '主要内容', '来电人', '来电人电话', '小区点位', '企业名称'])
ws.append(['BJ2026112900101', datetime.datetime(2026, 11, 29, 9, 5), '投诉', '城市管理->停车管理->违章停车',
           '消防通道被占', '27栋楼下消防通道被私家车长期占用', '王女士', '13800138000', '和美家园27栋', '和美物业'])
ws.append(['BJ2026112900102', '2026-11-29 10:30', '咨询', '住房->物业服务->物业收费', '', '物业费上涨是否合规',
           '李先生', '13912340000', '和美家园3栋', ''])
ws.append(['BJ2026112900103', '明天上午', '投诉', '城市管理->停车管理->违章停车', '', '小区门口车辆乱停',
           '赵先生', '13700001111', '和美家园东门', ''])
ws.append(['BJ2026112900104', '2026-11-29 14:00', '求助', '城市管理->市容环境->占道经营', '', '早市摊贩占用人行道',
           '钱女士', '13600002222', '和美家园西门', ''])
ws['B3'].number_format = 'yyyy-mm-dd hh:mm:ss'
wb.save(sys.argv[1])
`
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
  execFileSync(python, ['-c', script, path])
}

/** Drop the file at `path` on the dialog's drop zone, as a drag from the file manager does. */
async function drop(driver, path, name) {
  await driver.executeScript(
    `const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0))
     const dt = new DataTransfer()
     dt.items.add(new File([bytes], arguments[1]))
     const zone = document.querySelector('[data-testid=import-drop]')
     zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))`,
    readFileSync(path).toString('base64'),
    name,
  )
}

/** The text of `testid` as the page has it (WebDriver's text of tables is unreliable). */
function textOf(driver, testid) {
  return driver.executeScript(
    'const e = document.querySelector(`[data-testid="${arguments[0]}"]`); return e ? e.textContent : ""',
    testid,
  )
}

async function waitFor(driver, testid, fragment, ms = 15000) {
  await driver.wait(
    async () => (await textOf(driver, testid)).includes(fragment),
    ms,
    `${testid} never showed ${fragment}`,
  )
}

test('a 12345 export is previewed, corrected, imported with its broken row reported, and found by its number', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'jiesu-e2e-import-')), '朝阳区工单.xlsx')
  writeExport(file)
  await journey('imports', async ({ ui, driver }) => {
    await ui.firstRun('李书记', false)
    // Held already: the fire lane BJ2026112900101 is about, reported at the window.
    const held = await ui.fileCase('27栋楼下消防通道又被私家车长期占用了')
    await ui.click('nav-cases')
    await ui.click('open-import')
    await ui.visible('import-drop')
    await drop(driver, file, '朝阳区工单.xlsx')

    // What Jiesu reads: the header on row 2, two new orders, two rows it cannot take yet.
    await ui.visible('import-counts', 20000)
    await waitFor(driver, 'import-read', '第 2 行是表头')
    await waitFor(driver, 'import-counts', '新工单 2 件')
    await waitFor(driver, 'import-counts', '无法导入 2 行')
    await waitFor(driver, 'import-problems', '不是可识别的日期时间')
    await waitFor(driver, 'import-problems', '明天上午')
    // Row 3 (the first order) looks like the case held.
    await waitFor(driver, 'import-sample-similar-3', held)
    await ui.screenshot('import-1-preview')

    // No column read as the number: the dialog says which field is missing and imports nothing,
    // instead of calling every row after the first a duplicate; choosing it again restores all.
    await ui.select('import-field-0', '不导入')
    await ui.visible('import-no-number')
    await waitFor(driver, 'import-counts', '新工单 0 件')
    assert.equal(await (await ui.el('import-start')).isEnabled(), false)
    assert.ok(!(await textOf(driver, 'import-problems')).includes('重复'), 'no row is called a duplicate')
    await ui.select('import-field-0', '工单编号')
    await waitFor(driver, 'import-counts', '新工单 2 件')
    assert.ok(!(await ui.exists('import-no-number')))
    // The preview's loading mask fades out over the dialog after the new preview arrives; a
    // click before it has gone lands on the mask (seen in CI).
    await driver.wait(
      () =>
        driver.executeScript(
          "return [...document.querySelectorAll('.preview .el-loading-mask')].every((m) => m.offsetParent === null || getComputedStyle(m).display === 'none')",
        ),
      10000,
      'the preview stays masked',
    )

    // The secretary places the city's 占道经营 under 其他.
    const categories = await textOf(driver, 'import-categories')
    assert.ok(categories.includes('城市管理->市容环境->占道经营'), categories)
    await ui.cascade('import-category-2', '其他', '其他')
    await waitFor(driver, 'import-counts', '新工单 3 件')
    await waitFor(driver, 'import-counts', '无法导入 1 行')
    await ui.screenshot('import-2-placed')

    await ui.click('import-start')
    await ui.visible('import-report', 30000)
    await waitFor(driver, 'import-report', '已导入 3 件工单')
    await waitFor(driver, 'import-report-problems', '明天上午')
    // The broken row is reported by the row Excel shows it on (title, header, then orders).
    await waitFor(driver, 'import-report-problems', '5')
    // The order that repeats the held case, beside it, with why; merged from here.
    await waitFor(driver, 'import-duplicates', 'BJ2026112900101')
    await waitFor(driver, 'import-duplicates', '同在27号楼')
    await waitFor(driver, 'import-report', '疑似重复 1 件')
    await ui.screenshot('import-3-report')
    const merge = await driver.executeScript(
      `const b = document.querySelector('[data-testid^="import-dup-merge-"][data-testid$="-${held}"]')
       b.click()
       return b.dataset.testid`,
    )
    const imported = merge.slice('import-dup-merge-'.length, -(held.length + 1))
    await ui.visible(`import-dup-settled-${imported}`)
    await waitFor(driver, `import-dup-settled-${imported}`, `已合并到 ${held}`)
    await ui.screenshot('import-3b-merged')
    await ui.click('import-export-report')
    await driver.wait(
      async () => (await driver.executeScript('return document.body.textContent')).includes('朝阳区工单 导入报告.xlsx'),
      10000,
      'the report is saved and its path shown',
    )
    await ui.click('import-close')
    await ui.noOverlay()

    // Found by its number; its case shows the work order.
    await ui.retype('search', 'BJ2026112900101')
    await waitFor(driver, 'total', '共 1 件')
    await waitFor(driver, 'case-table', '27栋楼下消防通道')
    // The only row (WebKit's driver may call a table row not interactable while it settles).
    await driver.executeScript(
      "document.querySelector('[data-testid=case-table] tbody tr.case-row').click()",
    )
    await ui.visible('case-work-order', 15000)
    const card = await textOf(driver, 'case-work-order')
    for (const s of ['BJ2026112900101', '投诉', '城市管理->停车管理->违章停车', '企业名称', '和美物业']) {
      assert.ok(card.includes(s), `the work order card shows ${s}: ${card}`)
    }
    await waitFor(driver, 'case-resident-phone', '138****8000')
    await ui.waitText('case-state', '已合并')
    await waitFor(driver, `case-link-${held}`, '本案已合并到该案')
    await ui.screenshot('import-4-case')

    // The same file again: nothing new.
    await ui.click('nav-cases')
    await ui.click('open-import')
    await ui.visible('import-drop')
    await drop(driver, file, '朝阳区工单.xlsx')
    await ui.visible('import-counts', 20000)
    await waitFor(driver, 'import-counts', '新工单 0 件')
    await waitFor(driver, 'import-counts', '已导入且未变 3 件')
    await waitFor(driver, 'import-read', '已沿用上次的对应关系')
    const start = await ui.el('import-start')
    assert.equal(await start.isEnabled(), false, 'nothing to import')
    await ui.screenshot('import-5-again')
    await closeDialog(driver, ui)

    // Settings → 导入映射: the export's reading corrected without a file (来电人 left out).
    await ui.click('nav-settings')
    await ui.visible('import-mappings')
    await driver.executeScript("document.querySelector('[data-testid=import-mappings]').scrollIntoView()")
    await ui.screenshot('import-6-settings')
    await waitFor(driver, 'import-mappings', '工单编号 · 派发时间 · 工单类型 · 问题分类')
    await waitFor(driver, 'import-mappings', '城市管理->市容环境->占道经营')
    await ui.click('import-mapping-0')
    await ui.visible('import-mapping-0-field-6')
    await ui.select('import-mapping-0-field-6', '不导入')
    await ui.click('import-mapping-0-save')
    await ui.notice('success', '已保存')
    await ui.screenshot('import-6-mapping')
    // The next file of that export is read so: no caller's name in the sample.
    await ui.click('nav-cases')
    await ui.click('open-import')
    await ui.visible('import-drop')
    await drop(driver, file, '朝阳区工单.xlsx')
    await ui.visible('import-counts', 20000)
    await waitFor(driver, 'import-read', '已沿用上次的对应关系')
    await waitFor(driver, 'import-sample', '物业费上涨是否合规')
    const sample = await textOf(driver, 'import-sample')
    assert.ok(!sample.includes('李先生'), `the caller's column is left out: ${sample}`)
    await closeDialog(driver, ui)
    // Forgotten: nothing is remembered any more.
    await ui.click('nav-settings')
    await ui.click('import-mapping-0')
    await ui.click('import-mapping-0-forget')
    await ui.confirmBox()
    await ui.notice('success', '已忘记')
    await ui.visible('import-mappings-empty')
  })
})

/** Close the import dialog by its corner button, and wait until nothing covers the page. */
async function closeDialog(driver, ui) {
  await driver.executeScript("document.querySelector('.el-dialog__headerbtn').click()")
  await ui.noOverlay()
}

test('a complaint like one held is suggested and merged; both cases show the merge; a follow-up is filed linked', async () => {
  await journey('duplicates', async ({ ui, driver }) => {
    await ui.firstRun('李书记', false)
    const first = await ui.fileCase('27栋楼下消防通道被私家车长期占用，救护车进不来')
    // The same resident calls again about the same fire lane, in other words.
    await ui.click('nav-intake')
    await ui.type('f-phone', '13912345678')
    await ui.cascade('f-category', '消防通道', '占用消防通道')
    await ui.type('f-description', '27号楼下的消防通道又被车占了，救护车进不来')
    await ui.visible(`similar-${first}`, 15000)
    await waitFor(driver, `similar-${first}`, '同在27号楼')
    await waitFor(driver, `similar-${first}`, '同一来电人')
    await waitFor(driver, `similar-${first}`, '内容相似')
    await ui.screenshot('duplicates-1-suggested')
    await ui.click(`similar-merge-${first}`)
    await ui.waitText('case-state', '已合并')
    await waitFor(driver, `case-link-${first}`, '本案已合并到该案')
    const merged = await textOf(driver, 'case-number')
    await ui.screenshot('duplicates-2-merged')

    // The case it joined shows the merge too (issue 21: links read from both ends).
    await driver.executeScript(`document.querySelector('[data-testid="case-link-${first}"] a').click()`)
    await ui.waitText('case-number', first)
    await waitFor(driver, `case-link-${merged}`, '已合并到本案')

    // 新建关联案件: category and place carried over here, the resident by the core.
    await ui.click('follow-up')
    await waitFor(driver, 'follow-of', first)
    // Leaving for a plain intake and coming back keeps nothing of the follow-up.
    await ui.click('nav-intake')
    await driver.wait(async () => !(await ui.exists('follow-of')), 5000, 'the plain intake still follows a case')
    await driver.navigate().back()
    await waitFor(driver, 'follow-of', first)
    await ui.type('f-description', '消防通道清理后第二天又被占用')
    const desc = await ui.visible('f-description')
    await ui.screenshot('duplicates-3-follow-up-form')
    await desc.sendKeys(Key.chord(Key.CONTROL, Key.ENTER))
    await ui.waitText('case-state', '待派单')
    const followUp = await textOf(driver, 'case-number')
    assert.notEqual(followUp, first)
    // Back leads to the case it was filed from, not to the filled form (which would file it
    // twice); Forward to the follow-up again.
    await driver.navigate().back()
    await ui.waitText('case-number', first)
    assert.equal(await ui.exists('follow-of'), false, 'Back returned to the follow-up form')
    await driver.navigate().forward()
    await ui.waitText('case-number', followUp)
    await waitFor(driver, `case-link-${first}`, '关联')
    assert.equal(await textOf(driver, 'case-resident-name'), '王秀英')
    assert.match(await textOf(driver, 'case-resident-phone'), /^139\*+5678$/)
    await ui.screenshot('duplicates-4-follow-up')
    // Both cases worked on for a week: their traces run below the window. Read down to the
    // links at the foot of the follow-up, the secretary opens the first case: it opens at its
    // top (the page is the same view with another case; nothing else would move it).
    const followUpId = (await driver.getCurrentUrl()).split('/cases/')[1]
    await driver.executeScript(`document.querySelector('[data-testid="case-link-${first}"] a').click()`)
    await ui.waitText('case-number', first)
    const firstId = (await driver.getCurrentUrl()).split('/cases/')[1]
    await driver.executeScript(`document.querySelector('[data-testid="case-link-${followUp}"] a').click()`)
    await ui.waitText('case-number', followUp)
    for (const caseId of [followUpId, firstId]) {
      for (let i = 1; i <= 8; i++) {
        const noted = await ui.invoke('act', {
          caseId,
          command: { action: 'note', text: `第${i}次上门查看消防通道`, contacted_resident: i % 2 === 0, public: false },
        })
        assert.ok(noted.ok, JSON.stringify(noted.err))
      }
    }
    await driver.navigate().refresh()
    await waitFor(driver, 'case-number', followUp)
    const main = "document.querySelector('.el-main')"
    // Scrolled down the trace, its links still in view.
    await driver.wait(
      async () => (await driver.executeScript(`const m = ${main}; m.scrollTop = 200; return m.scrollTop`)) === 200,
      15000,
      'the follow-up with its notes is not taller than the window',
    )
    await ui.screenshot('duplicates-5-read-down')
    await driver.executeScript(`document.querySelector('[data-testid="case-link-${first}"] a').click()`)
    await ui.waitText('case-number', first)
    await driver.wait(
      async () => (await driver.executeScript(`return ${main}.scrollTop`)) === 0,
      5000,
      'the linked case opens scrolled down as the follow-up was',
    )
    await waitFor(driver, `case-link-${followUp}`, '关联')
    await waitFor(driver, 'case-links', merged)
    await ui.screenshot('duplicates-6-both-ends')
    // The list says it too, on every case of the three.
    await ui.click('nav-cases')
    await ui.waitText(`linked-${first}`, '关联 2')
    await ui.waitText(`linked-${merged}`, '关联 1')
    await ui.waitText(`linked-${followUp}`, '关联 1')

    // The merge was a mistake after all: 撤销合并 on the merged case, with a reason. It is
    // worked on its own again; the case it had joined stops listing it.
    await ui.click(`case-${merged}`)
    await ui.waitText('case-state', '已合并')
    await ui.act('unmerge', () => ui.type('a-reason', '来电人说的是另一条消防通道'))
    await ui.waitText('case-state', '待派单')
    await waitFor(driver, 'timeline', '撤销合并')
    await ui.screenshot('duplicates-7-unmerged')
    await ui.click('nav-cases')
    await ui.click(`case-${first}`)
    await ui.waitText('case-number', first)
    await waitFor(driver, `case-link-${followUp}`, '关联')
    assert.equal(await ui.exists(`case-link-${merged}`), false, 'no longer listed as merged into it')
  })
})
