// Journey 21: one place exposed, every place fixed (一地曝光、全域整改). The street office's PC
// sees the same blocked fire lane reported by two of its communities as one cluster, opens a
// rectification campaign from it, and watches a community's progress arrive by sync: that
// community (a headless app core) fixes its site on the spot and adds one more it found
// itself; the board counts both, the export writes the 问题清单 and 整改清单. Then the street
// extends the campaign and adds a third community (whose PC finds its item), and closes it
// with a summary: no site can be added any more, and the board lists both changes; then
// opens it again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { By, chinaDate, journey } from './harness.mjs'
import { startServer } from './server.mjs'

test('a street office opens a campaign from a cluster and sees a community fix its sites', async () => {
  const server = await startServer({
    offices: [
      ['xf', '幸福社区', 'community', 'hy'],
      ['ya', '雅园社区', 'community', 'hy'],
    ],
  })
  try {
    await journey('journey21', async ({ driver, ui }) => {
      await ui.firstRun('张主任', false, 'zhang')
      await ui.enrol(server, 'hy')

      // Two communities report the same problem in their own words.
      server.replica('hm', {
        file: '3栋楼下消防通道被私家车长期占用，消防车进不来',
      })
      server.replica('xf', {
        file: '小区消防通道被私家车长期占用，多次劝说无效',
      })

      await ui.click('nav-campaigns')
      await ui.click('c-tab-clusters')
      await driver.wait(
        async () => ((await ui.textNow('cluster-0')) ?? '').includes('2 个单位'),
        30000,
        'the cluster never appeared',
      )
      const line = await ui.text('cluster-line')
      assert.match(line, /· 2 个单位 · 2 件/)
      await ui.screenshot('journey21-cluster')

      // Opened from the cluster: its category, both communities and an example are filled in.
      await ui.click('cluster-open-0')
      await ui.visible('c-dialog')
      const value = async (id) => (await ui.input(id)).getAttribute('value')
      assert.match(await value('c-title'), /专项整改$/)
      assert.match(await value('c-problem'), /消防通道/)
      await ui.type('c-standard', '消防通道划线、设禁停标识，无车辆占用')
      await ui.screenshot('journey21-open')
      await ui.click('c-create')
      await ui.notice('success', '已向 2 个单位下发整改工单')
      await ui.visible('board', 15000)
      await ui.waitText('b-found', '2')
      await ui.waitText('b-rectified', '0')

      // 和美社区 works its item: fixed on the spot, and one more site it found itself.
      const hm = server.replica('hm', {
        rectify: '已划线并设禁停牌，车辆已挪走',
        site: '12栋东侧消防通道堆放杂物',
      })
      const sites = hm.filter((c) => c.campaign)
      assert.equal(sites.length, 2, JSON.stringify(hm))
      assert.ok(sites.some((c) => c.state === 'resolved'))

      // The street's board follows by sync, without a click.
      await ui.waitText('b-found', '3', 30000)
      await ui.waitText('b-rectified', '1', 30000)
      // By office: 和美社区 found 2 (its item and its own site), fixed 1; 幸福社区 not yet.
      for (const [id, want] of [
        ['hm-found', '2'],
        ['hm-rectified', '1'],
        ['hm-own', '1'],
        ['xf-found', '1'],
        ['xf-rectified', '0'],
        ['xf-own', '0'],
      ]) {
        assert.equal((await ui.text(`b-row-${id}`)).trim(), want, id)
      }
      await ui.screenshot('journey21-board')

      await ui.click('b-export')
      const path = await ui.text('b-exported')
      assert.match(path, /专项整改.*\.xlsx$/)
      assert.ok(existsSync(path.trim()), path)

      // 延期 and 雅园社区 added: its item is filed with the change and reaches its PC.
      const later = chinaDate((await ui.appNow()) + 40 * 86400000)
      await ui.click('b-amend')
      await ui.visible('a-dialog')
      await ui.hasFocus('a-title')
      assert.match(await ui.text('a-hint'), /办理时限不变/)
      await ui.date('a-due', later)
      await ui.click('a-office-ya')
      await ui.type('a-note', '《看见》回访发现雅园社区同样存在，延期并扩大范围')
      await ui.screenshot('journey21-amend')
      await ui.click('a-save')
      await ui.notice('success', '已保存变更')
      await ui.waitText('b-due', `${later} 前完成`)
      await ui.waitText('b-found', '4')
      assert.equal((await ui.text('b-row-ya-found')).trim(), '1')
      assert.equal((await ui.text('b-change-0')).trim(), `期限改为 ${later} · 增加单位：雅园社区`)
      const ya = server.replica('ya')
      assert.equal(ya.filter((c) => c.campaign).length, 1, JSON.stringify(ya))

      // 结束整改 with a summary: what is still open is said first; then no site is added.
      await ui.click('b-close')
      await ui.visible('a-dialog')
      assert.match(await ui.text('a-open-left'), /尚有 3 个点位未整改/)
      await ui.type('a-note', '和美社区已整改；幸福、雅园社区转入日常巡查')
      await ui.click('a-save')
      await ui.notice('success', '已结束')
      await ui.visible('b-closed')
      assert.equal(await ui.exists('b-add-site'), false, 'a closed campaign takes no site')
      await ui.visible('b-reopen')
      assert.match(await ui.text('b-change-1'), /结束整改/)
      await ui.screenshot('journey21-changes')
      // Back to the top of the board, whichever element scrolled.
      await driver.executeScript('for (const e of document.querySelectorAll("*")) if (e.scrollTop) e.scrollTop = 0')
      await ui.screenshot('journey21-closed')

      // The list keeps to what is still running: the ended campaign waits under 已结束, and
      // the choice stays in the address when a campaign is opened from there.
      const campaignId = (await driver.getCurrentUrl()).split('/campaigns/')[1]
      await ui.click('nav-campaigns')
      await ui.waitText('c-show-open', '进行中 0')
      await ui.waitText('c-show-closed', '已结束 1')
      assert.equal(await ui.exists(`c-closed-${campaignId}`), false, 'an ended campaign among the ongoing')
      await ui.click('c-show-closed')
      await ui.visible(`c-closed-${campaignId}`)
      await ui.screenshot('journey21-list-ended')
      await ui.click(`c-closed-${campaignId}`)
      await ui.visible('b-reopen')
      await driver.navigate().back()
      await ui.visible(`c-closed-${campaignId}`)
      await driver.navigate().forward()

      // 重新启动: the last day is kept (still ahead), and sites can be added again.
      await ui.noOverlay()
      await ui.click('b-reopen')
      await ui.visible('a-dialog')
      await ui.hasFocus('a-note')
      assert.equal(await (await ui.input('a-due')).getAttribute('value'), later)
      await ui.type('a-note', '复查发现幸福社区反弹，重新启动')
      await ui.click('a-save')
      await ui.notice('success', '已重新启动')
      await ui.visible('b-add-site')
      // The tag leaves with a short transition.
      await driver.wait(async () => !(await ui.exists('b-closed')), 5000, 'the closed tag stayed')
      assert.match(await ui.text('b-change-2'), /重新启动/)

      // 在案件列表中查看: the case list keeps to the campaign's four sites until the chip closes.
      await ui.click('b-list')
      await ui.visible('filter-campaign')
      assert.match(await ui.text('filter-campaign'), /专项整改：占用消防通道专项整改/)
      await ui.waitText('total', '共 4 件')
      await ui.screenshot('journey21-list')
      await driver.findElement(By.css('[data-testid="filter-campaign"] .el-tag__close')).click()
      await driver.wait(async () => !(await ui.exists('filter-campaign')), 5000, 'the chip stayed')
      await ui.waitTextChange('total', '共 4 件')
    })
  } finally {
    server.stop()
  }
})
