// The overdue watch: once the app is set up it reads the desk (a notification sums up what
// is overdue and due soon), then asks the core every WATCH_MS which cases fell due since it
// last looked and announces each one once. Texts are chosen here, in the user's language;
// the shell only shows them. A desktop without a notification service loses the
// notification, never the count in the header or the desk.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '../api'
import { i18n } from '../i18n'
import { useAppStore } from './app'
import type { CaseRow } from '../bindings/CaseRow'

const WATCH_MS = 30_000
/** Cases announced one by one per poll; more are summed up in one notification. */
const ONE_BY_ONE = 3

export const useOverdueStore = defineStore('overdue', () => {
  const overdue = ref(0)
  const dueSoon = ref(0)
  /** Bumped when cases fell overdue, so an open desk reloads. */
  const version = ref(0)
  let since: number | null = null
  let started = false
  let timer: ReturnType<typeof setInterval> | undefined

  async function notify(title: string, body: string) {
    try {
      await api.notify(title, body)
    } catch (e) {
      console.warn('notification not shown', e)
    }
  }

  function line(row: CaseRow) {
    const app = useAppStore()
    const unit = row.handling_unit ? app.unitName(row.handling_unit) : i18n.global.t('desk.undispatched')
    return `${row.summary} · ${unit}`
  }

  async function start() {
    if (started) return
    started = true
    const t = i18n.global.t
    const app = useAppStore()
    const d = await api.desk()
    app.syncClock(d.now)
    overdue.value = d.overdue_total
    dueSoon.value = d.due_soon_total
    since = d.now
    if (d.overdue_total > 0) {
      await notify(
        t('desk.startTitle', { n: d.overdue_total }),
        d.due_soon_total > 0 ? t('desk.startBody', { n: d.due_soon_total }) : t('desk.fellMoreBody'),
      )
    } else if (d.due_soon_total > 0) {
      await notify(t('desk.soonTitle', { n: d.due_soon_total }), t('desk.fellMoreBody'))
    }
    timer = setInterval(poll, WATCH_MS)
  }

  /** Stop watching while nobody is signed in (the next sign-in starts it again). */
  function stop() {
    clearInterval(timer)
    started = false
    since = null
  }

  async function poll() {
    if (since === null) return
    const t = i18n.global.t
    try {
      const w = await api.overdueWatch(since)
      since = w.now
      useAppStore().syncClock(w.now)
      overdue.value = w.overdue_total
      if (w.fell.length === 0) return
      version.value++
      for (const row of w.fell.slice(0, ONE_BY_ONE)) {
        await notify(t('desk.fellTitle', { number: row.number }), line(row))
      }
      if (w.fell.length > ONE_BY_ONE) {
        await notify(t('desk.fellMore', { n: w.fell.length - ONE_BY_ONE }), t('desk.fellMoreBody'))
      }
    } catch (e) {
      console.warn('overdue watch', e)
    }
  }

  /** Counts from a fresh read of the desk (the desk view calls this). */
  function setCounts(o: number, s: number) {
    overdue.value = o
    dueSoon.value = s
  }

  return { overdue, dueSoon, version, start, stop, poll, setCounts }
})
