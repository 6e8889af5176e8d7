// Journey 19: a resident looks their case up. The secretary files a case at an enrolled PC,
// writes one note for the resident and one for the office, and hands over the receipt (回执);
// the resident opens the server's lookup page in a real browser (Debian's Chromium, headless,
// phone-sized and desktop-sized), types the number and code from the receipt, and sees the
// progress — the public note, never their name, phone, address or the internal note.
//
// Journey 20: a civic app files through Open311. A resident reports a leak in an app that
// speaks GeoReport v2; it arrives in the community's case list marked 网上信访 with the app
// as who filed it, the secretary dispatches it, and the app reads the handling unit back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Builder, By, until } from 'selenium-webdriver'
import chrome from 'selenium-webdriver/chrome.js'
import { chinaDate, journey } from './harness.mjs'
import { startServer } from './server.mjs'

const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../artifacts/e2e')
const PUBLIC_NOTE = '已联系物业，本周五前清理消防通道'
const INTERNAL_NOTE = '物业经理推诿，需街道出面协调'

/**
 * Debian's Chromium through its own chromedriver (no download: both come from apt). `phone`
 * emulates a phone's screen (a headless window is never narrower than 500 px).
 */
async function chromium({ phone }) {
  const options = new chrome.Options()
    .setChromeBinaryPath(process.env.CHROMIUM_BIN ?? '/usr/bin/chromium')
    .addArguments('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1280,800')
  if (phone) options.setMobileEmulation({ deviceMetrics: { width: 390, height: 844, pixelRatio: 2 } })
  const service = new chrome.ServiceBuilder(process.env.CHROMEDRIVER_BIN ?? '/usr/bin/chromedriver')
  return new Builder().forBrowser('chrome').setChromeOptions(options).setChromeService(service).build()
}

async function shot(browser, name) {
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(join(ARTIFACTS, `${name}.png`), await browser.takeScreenshot(), 'base64')
}

/** Type into the lookup form and send it; the answer page's text. */
async function lookUp(browser, url, number, code) {
  await browser.get(`${url}/lookup`)
  await browser.findElement(By.id('number')).sendKeys(number)
  await browser.findElement(By.id('code')).sendKeys(code)
  await browser.findElement(By.id('submit')).click()
  await browser.wait(until.elementLocated(By.css('#stage, #notice')), 10000)
  return browser.findElement(By.css('body')).getText()
}

test('a resident types the number and code from the receipt and sees the progress, nothing personal', async () => {
  const server = await startServer()
  let browser
  try {
    await journey('journey19', async ({ driver, ui }) => {
      await ui.firstRun('李书记', false)
      await ui.enrol(server)
      const number = await ui.fileCase()
      await ui.act('note', async () => {
        await ui.type('a-text', PUBLIC_NOTE)
        await ui.click('a-public')
      })
      await ui.act('note', async () => {
        await ui.type('a-text', INTERNAL_NOTE)
      })
      await driver.wait(
        async () => (await ui.invoke('sync_status', {})).ok.waiting === 0,
        30000,
        'the case never went up',
      )

      // 回执: the number, the code and where to look it up.
      await ui.click('receipt-open')
      await ui.visible('receipt-code')
      const code = (await ui.text('receipt-code')).trim()
      assert.match(code, /^\d{4} \d{4}$/)
      assert.ok((await ui.text('receipt-url')).includes(`${server.url}/lookup`))
      await ui.screenshot('journey19-receipt')

      // The resident, on a phone.
      browser = await chromium({ phone: true })
      await browser.get(`${server.url}/`)
      assert.equal(await browser.getTitle(), '诉求办理进度查询')
      await shot(browser, 'journey19-phone-form')
      const page = await lookUp(browser, server.url, number, code)
      assert.match(page, /已受理/)
      assert.match(page, new RegExp(PUBLIC_NOTE))
      for (const secret of [INTERNAL_NOTE, '王秀英', '13912345678', '27栋', '李书记', '消防通道被私家车']) {
        assert.ok(!page.includes(secret), `the page shows ${secret}`)
      }
      // Nothing overflows the phone's width.
      assert.equal(await browser.executeScript('return window.innerWidth'), 390)
      const overflow = await browser.executeScript(
        'return document.documentElement.scrollWidth - document.documentElement.clientWidth',
      )
      assert.equal(overflow, 0, 'the page scrolls sideways on a phone')
      await shot(browser, 'journey19-phone-found')

      // A wrong code and a wrong number get the same words.
      const wrongCode = await lookUp(browser, server.url, number, code === '0000 0000' ? '1111 1111' : '0000 0000')
      const wrongNumber = await lookUp(browser, server.url, `${number}9`, code)
      assert.match(wrongCode, /未找到/)
      assert.equal(wrongCode, wrongNumber)
      await shot(browser, 'journey19-phone-not-found')

      // The last four digits of the phone given at intake open it too, on a desktop browser.
      await browser.quit()
      browser = await chromium({ phone: false })
      const byPhone = await lookUp(browser, server.url, number, '5678')
      assert.match(byPhone, new RegExp(PUBLIC_NOTE))
      await shot(browser, 'journey19-desktop-found')

      // The commitment letter carries the same code and address, for residents who keep paper.
      await ui.escape()
      await ui.act('issue_letter', async () => {
        await ui.type('a-promise', '本周五前清理消防通道')
        await ui.date('a-letter-due', chinaDate(await ui.appNow()))
        await ui.retype('a-responsible', '李书记')
      })
      await ui.click('case-letter-print')
      await ui.waitText('letter-sheet', '承　诺　书')
      const onLetter = await ui.text('letter-lookup')
      assert.ok(onLetter.includes(code) && onLetter.includes(`${server.url}/lookup`), onLetter)
      await ui.screenshot('journey19-letter')
    })
  } finally {
    if (browser) await browser.quit().catch(() => {})
    server.stop()
  }
})

test('a request a civic app files through Open311 arrives in the list marked online, and the app reads it back', async () => {
  const server = await startServer()
  try {
    await journey('journey20', async ({ driver, ui }) => {
      await ui.firstRun('李书记', false)
      await ui.enrol(server)
      const key = server.open311Key('随手拍')
      const res = await fetch(`${server.url}/open311/v2/requests.json`, {
        method: 'POST',
        body: new URLSearchParams({
          api_key: key,
          jurisdiction_id: 'hm',
          service_code: 'housing.leak.pipe',
          description: '三号楼楼道水管爆裂，水流到电梯井',
          address_string: '和美小区三号楼',
          first_name: '秀英',
          last_name: '王',
          phone: '13800138000',
        }),
      })
      assert.equal(res.status, 201, await res.clone().text())
      const [filed] = await res.json()
      const number = /案件编号 (\S+)，/.exec(filed.service_notice)[1]

      // The window pulls it like any case: in the list, marked as arrived online.
      await ui.click('sync-now')
      await ui.click('nav-cases')
      await ui.visible(`online-${number}`, 30000)
      await ui.screenshot('journey20-list')
      await ui.click(`case-${number}`)
      await ui.waitText('case-state', '待派单')
      const page = await driver.findElement(By.css('body')).getText()
      assert.match(page, /网上信访/)
      assert.match(page, /随手拍/)
      assert.match(page, /三号楼楼道水管爆裂/)
      await ui.act('dispatch', async () => {
        await ui.select('a-unit', '物业公司')
      })
      await driver.wait(
        async () => (await ui.invoke('sync_status', {})).ok.waiting === 0,
        30000,
        'the dispatch never went up',
      )
      await ui.screenshot('journey20-case')

      // The app reads the status: open, with the unit, and nothing the resident gave.
      const status = await (await fetch(`${server.url}/open311/v2/requests/${filed.service_request_id}.json`)).json()
      assert.equal(status[0].status, 'open')
      assert.equal(status[0].agency_responsible, '物业公司')
      const text = JSON.stringify(status)
      for (const secret of ['秀英', '13800138000', '水管爆裂', '三号楼']) {
        assert.ok(!text.includes(secret), `the status shows ${secret}`)
      }
    })
  } finally {
    server.stop()
  }
})
