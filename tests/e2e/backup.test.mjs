// Journey 14 (issue 18): backup and restore from the window. The administrator chooses a backup
// folder and backs up (the backup is verified and says what it holds), files more work, then
// restores the backup after seeing what it holds and confirming with their password: everyone
// signs in again, the work filed after the backup is gone from the store, and the store as it
// was is kept aside in the data folder, not overwritten.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { journey, PASSWORD } from './harness.mjs'

test('an administrator backs up, files more work, restores the backup and signs in to it', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'jiesu-backups-'))
  try {
    await journey('journey14', async ({ ui, dataDir }) => {
      await ui.firstRun('李书记', false)
      const kept = await ui.fileCase()

      await ui.click('nav-settings')
      await ui.type('backup-folder', folder)
      await ui.click('backup-save')
      await ui.click('backup-now')
      await ui.waitText('backup-result', '备份完成并已核验：1 件案件')
      await ui.screenshot('journey14-backed-up')
      assert.equal(readdirSync(folder).filter((f) => f.startsWith('jiesu-backup-')).length, 1)

      const later = await ui.fileCase('备份之后才登记的案件：3单元楼道灯坏了')
      assert.notEqual(later, kept)

      await ui.click('nav-settings')
      await ui.click('backup-restore')
      await ui.waitText('backup-restore-what', '有 1 件案件')
      await ui.type('backup-password', PASSWORD)
      await ui.screenshot('journey14-restore-dialog')
      await ui.click('backup-restore-confirm')
      await ui.signIn('li')
      await ui.click('nav-cases')
      await ui.visible(`case-${kept}`)
      assert.ok(!(await ui.exists(`case-${later}`)), 'the later case is not in the restored store')
      assert.ok(
        readdirSync(dataDir).some((f) => f.startsWith('jiesu.db.before-restore-')),
        'the store as it was is kept aside',
      )
      await ui.screenshot('journey14-restored')
    })
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
})
