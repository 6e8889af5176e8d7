// Time and label helpers. All civil times are China Standard Time, like the core's calendar,
// whatever time zone the PC is set to.
import type { Composer } from 'vue-i18n'
import type { Category } from './bindings/Category'
import type { Field } from './bindings/Field'
import type { LetterStatus } from './bindings/LetterStatus'
import type { Why } from './bindings/Why'

const fmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})

export function fmtTime(ms: number): string {
  return fmt.format(new Date(ms)).replace(/\//g, '-')
}

/** An instant in as few characters as stay clear (China time): "19:23" on the day of `now`,
 * "12-04 19:23" on another day of its year, the whole "2025-12-04 19:23" otherwise. */
export function fmtShortTime(ms: number, now: number): string {
  const s = fmtTime(ms)
  const today = fmtTime(now)
  if (s.slice(0, 10) === today.slice(0, 10)) return s.slice(11)
  return s.slice(0, 4) === today.slice(0, 4) ? s.slice(5) : s
}

/** "2天3小时" style span, in the unit that matters: days from two days on, hours below that
 * (a 24-hour urgent case has 24 hours, not "1 day"), minutes under an hour. */
export function span(t: Composer['t'], ms: number): string {
  const m = Math.floor(Math.abs(ms) / 60000)
  const d = Math.floor(m / 1440)
  if (d >= 2) {
    const h = Math.floor((m % 1440) / 60)
    return t('due.days', { d }) + (h > 0 ? t('due.hours', { h }) : '')
  }
  const h = Math.floor(m / 60)
  if (h > 0) return t('due.hours', { h })
  return t('due.minutes', { m })
}

/** A long span rounded to its largest unit ("1095天", "3小时", "12分钟"): how far a clock is off. */
export function roughSpan(t: Composer['t'], ms: number): string {
  const m = Math.abs(ms) / 60000
  if (m >= 1440) return t('due.days', { d: Math.round(m / 1440) })
  if (m >= 60) return t('due.hours', { h: Math.round(m / 60) })
  return t('due.minutes', { m: Math.max(1, Math.round(m)) })
}

export function dueText(t: Composer['t'], due: number, now: number, running: boolean): string {
  if (!running) return t('due.stopped')
  return due <= now ? t('due.overdue', { t: span(t, now - due) }) : t('due.left', { t: span(t, due - now) })
}

/** Code → path of names, in the current language, for every node of the tree. */
export function categoryPaths(tree: Category[], lang: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (nodes: Category[], prefix: string) => {
    for (const n of nodes) {
      const name = lang === 'en' ? n.en : n.zh
      const path = prefix ? `${prefix} / ${name}` : name
      out.set(n.code, path)
      walk(n.children, path)
    }
  }
  walk(tree, '')
  return out
}

/** Start of the day after `date` in China time: a deadline "by the end of that day". */
export function endOfChinaDay(date: Date): number {
  const y = date.getFullYear()
  const m = date.getMonth()
  const d = date.getDate()
  return Date.UTC(y, m, d + 1) - 8 * 3600 * 1000
}

/** [from, to) instants of the China days a picker's local dates show, first to last inclusive:
 * a day picked on a PC set to another zone still means that day in China, as the list shows it. */
export function chinaDays(first: Date, last: Date): [number, number] {
  return [endOfChinaDay(first) - 86_400_000, endOfChinaDay(last)]
}

/** The picker's local Date showing the China date of `ms` (the inverse of `endOfChinaDay`). */
export function pickerDate(ms: number): Date {
  const d = new Date(ms + 8 * 3600 * 1000)
  return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
}

/** The picker's local Date showing the China wall time of `ms`: a datetime picker reads and
 * writes the PC's zone, the meeting means China time. The whole instant is kept, seconds too:
 * a form saved with its time untouched must hand back the very start it was given, or the
 * trace would record a changed start nobody made. */
export function pickerTime(ms: number): Date {
  const d = new Date(ms + 8 * 3600 * 1000)
  return new Date(
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  )
}

/** The instant whose China wall time a picker's local Date shows (the inverse of `pickerTime`).
 * A wall time a PC's daylight saving skips cannot be picked there; China has none. */
export function chinaTime(d: Date): number {
  const wall = Date.UTC(
    d.getFullYear(),
    d.getMonth(),
    d.getDate(),
    d.getHours(),
    d.getMinutes(),
    d.getSeconds(),
    d.getMilliseconds(),
  )
  return wall - 8 * 3600 * 1000
}

const dateFmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})

/** The China date of an instant, YYYY-MM-DD. */
export function fmtDate(ms: number): string {
  return dateFmt.format(new Date(ms)).replace(/\//g, '-')
}

/** Midnight China time of the China date `days` after the one containing `ms`. */
export function chinaDayStart(ms: number, days = 0): number {
  const d = new Date(ms + 8 * 3600 * 1000)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days) - 8 * 3600 * 1000
}

export type PeriodKind = 'week' | 'month' | 'quarter' | 'year'

/**
 * [from, to) of the week (from Monday), month, quarter or year containing `ms`, China time;
 * `back` periods before it when `back` > 0 (last month's report, read on the 1st).
 */
export function periodOf(kind: PeriodKind, ms: number, back = 0): [number, number] {
  let p = periodIn(kind, ms)
  for (let i = 0; i < back; i++) p = periodIn(kind, p[0] - 1)
  return p
}

function periodIn(kind: PeriodKind, ms: number): [number, number] {
  const d = new Date(ms + 8 * 3600 * 1000)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  const at = (yy: number, mm: number, dd: number) => Date.UTC(yy, mm, dd) - 8 * 3600 * 1000
  switch (kind) {
    case 'week': {
      const back = (d.getUTCDay() + 6) % 7
      const from = chinaDayStart(ms, -back)
      return [from, chinaDayStart(from, 7)]
    }
    case 'month':
      return [at(y, m, 1), at(y, m + 1, 1)]
    case 'quarter': {
      const q = Math.floor(m / 3) * 3
      return [at(y, q, 1), at(y, q + 3, 1)]
    }
    default:
      return [at(y, 0, 1), at(y + 1, 0, 1)]
  }
}

/**
 * `x` with one decimal, rounded as the spreadsheet the same figures are exported to rounds it:
 * on the number's 15 significant digits, halves away from zero. `toFixed` rounds the binary
 * value instead, so 0.8765 would read 87.6% on screen and 87.7% in the exported sheet.
 */
export function fixed1(x: number): string {
  const tenths = Number((Math.abs(x) * 10).toPrecision(15))
  const r = Math.round(tenths) / 10
  return (x < 0 && r !== 0 ? -r : r).toFixed(1)
}

/** A rate as a percentage with one decimal, or "—" when there is nothing to divide by. */
export function pct(r: number | null | undefined): string {
  return r === null || r === undefined ? '—' : `${fixed1(r * 100)}%`
}

/** A commitment letter's tag colour, the same wherever it shows: broken red, kept green,
 * voided grey, still due amber. */
export function letterTagType(status: LetterStatus): 'danger' | 'success' | 'info' | 'warning' {
  switch (status) {
    case 'broken':
      return 'danger'
    case 'fulfilled':
      return 'success'
    case 'void':
      return 'info'
    default:
      return 'warning'
  }
}

/** Why a case was suggested as a likely duplicate (the core says; this words it). */
export function whyText(t: Composer['t'], w: Why): string {
  switch (w.kind) {
    case 'same_building':
      return t('intake.why.same_building', { building: w.building })
    case 'similar_text':
      return t('intake.why.similar_text', { percent: w.percent })
    default:
      return t(`intake.why.${w.kind}`)
  }
}

/** What a column of a 12345 export can mean, in the order the mapping editors offer them. */
export const IMPORT_FIELDS: Field[] = [
  'work_order_no',
  'received_at',
  'resident',
  'phone',
  'category',
  'category_major',
  'category_minor',
  'title',
  'description',
  'handling_unit',
  'due',
  'order_type',
  'urgency',
  'place',
  'keep',
  'ignore',
]
