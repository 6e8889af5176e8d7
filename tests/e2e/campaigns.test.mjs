// Journey 21: one place exposed, every place fixed (一地曝光、全域整改). The street office's PC
// sees the same blocked fire lane reported by two of its communities as one cluster, opens a
// rectification campaign from it, and watches a community's progress arrive by sync: that
// community (a headless app core) fixes its site on the spot and adds one more it found
// itself; the board counts both, the export writes the 问题清单 and 整改清单.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { journey } from './harness.mjs'
import { startServer } from './server.mjs'

test('a street office opens a campaign from a cluster and sees a community fix its sites', async () => {
  const server = await startServer({
    offices: [['xf', '幸福社区', 'community', 'hy']],
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
    })
  } finally {
    server.stop()
  }
})
