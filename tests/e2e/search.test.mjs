// Journey 17 (issue 21): search as a secretary thinks, at the common office screen (1366×768).
// A case filed under 停车管理 / 违章停车 / 占用消防通道 whose text never says 停车 is found by
// 停车; written 27栋, it is found by 27号楼; digits alone say where they appear (phone or
// number) and one click keeps the search to the phone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { journey } from './harness.mjs'

/** Rows of the case list as the page has them. */
function rows(driver) {
  return driver.executeScript(
    "return [...document.querySelectorAll('[data-testid=case-table] tbody tr')].map((r) => r.textContent)",
  )
}

async function search(ui, driver, text, want) {
  await ui.retype('search', text)
  await driver.wait(
    async () => {
      const r = await rows(driver)
      return r.length === want.length && want.every((n) => r.some((row) => row.includes(n)))
    },
    10000,
    `${text} never listed ${want.join(', ')}`,
  )
}

test('a category word, another building spelling and a phone tail find what the secretary means', async () => {
  await journey('search', async ({ ui, driver }) => {
    await driver.manage().window().setRect({ width: 1366, height: 768 })
    await ui.firstRun('李书记', false)
    // fileCase: 王秀英 13912345678, 27栋, 停车管理 / 违章停车 / 占用消防通道.
    const fireLane = await ui.fileCase('27栋楼下消防通道被私家车长期占用')
    const other = await ui.fileCase('3号楼门口路灯不亮，晚上看不见路')
    await ui.click('nav-cases')
    await search(ui, driver, '停车', [fireLane, other])
    await search(ui, driver, '私家车 27号楼', [fireLane])
    await ui.screenshot('search-1-building-spelling')
    await search(ui, driver, '3栋', [other])

    // Digits alone: the phone tail 5678 — where does it appear?
    await ui.retype('search', '5678')
    await ui.waitText('search-groups', '5678')
    await ui.waitText('search-group-phone', '2')
    await ui.screenshot('search-2-groups')
    await ui.click('search-group-phone')
    await ui.waitText('total', '2')
    const box = await driver.executeScript(
      "const e = document.querySelector('[data-testid=search]'); return (e.tagName === 'INPUT' ? e : e.querySelector('input')).value",
    )
    assert.equal(box, '电话:5678')
    await search(ui, driver, '电话:5678', [fireLane, other])
    await search(ui, driver, '编号:5678', [])
    await ui.screenshot('search-3-phone')
  })
})
