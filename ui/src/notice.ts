// What the window says after an action ("已受理…", an error): shown in the header's notice
// slot, never floating over the page, so it covers no navigation or button and swallows no
// click (issue 21). One notice at a time; the latest replaces the one before.
import { reactive } from 'vue'
import type { Composer } from 'vue-i18n'
import { JiesuError } from './api'
import { errorText } from './errors'

export type NoticeKind = 'success' | 'error' | 'warning'

export const notice = reactive({ kind: 'success' as NoticeKind, text: '', seq: 0 })

let timer: ReturnType<typeof setTimeout> | undefined

function show(kind: NoticeKind, text: string, ms: number) {
  notice.kind = kind
  notice.text = text
  notice.seq += 1
  clearTimeout(timer)
  // An error stays longer: it has to be read, not just noticed.
  timer = setTimeout(() => (notice.text = ''), ms)
}

export const notify = {
  success: (text: string) => show('success', text, 4000),
  warning: (text: string) => show('warning', text, 8000),
  error: (text: string) => show('error', text, 10000),
  /** A command's failure, in words; not `sign_in_required`, which the sign-in screen says
   * (pages still open while the user switches would otherwise leave a stale "请先登录"). */
  failed: (t: Composer['t'], te: Composer['te'], e: unknown) => {
    if (e instanceof JiesuError && e.code === 'sign_in_required') return
    show('error', errorText(t, te, e), 10000)
  },
  dismiss: () => {
    clearTimeout(timer)
    notice.text = ''
  },
}
