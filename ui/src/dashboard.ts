// What the dashboard and its A4 print sheet both show: the figure cards with their
// definitions and the trend chart. The numbers come from the core; this only labels them.
import type { Dashboard } from './bindings/Dashboard'
import type { Earlier } from './bindings/Earlier'
import type { Figure } from './bindings/Figure'
import type { Figures } from './bindings/Figures'
import { fixed1, pct } from './format'

type T = (key: string, named?: Record<string, unknown>) => string

export interface Card {
  figure: Figure
  label: string
  value: string
  sub?: string
  def: string
  alert?: boolean
  /** The change since the earlier stretch (环比), when both have a value. */
  change?: Change
}

export interface Change {
  text: string
  /** Whether the change is for the better (green), the worse (red), or neither. */
  good: boolean | null
}

/** How a card's number moves: which value, in what unit, and which way is better. */
interface Measure {
  of: (f: Figures) => number | null
  unit: 'count' | 'rate' | 'days' | 'hours' | 'points'
  better: 'up' | 'down' | null
}

const up = (of: Measure['of'], unit: Measure['unit'] = 'rate'): Measure => ({ of, unit, better: 'up' })
const down = (of: Measure['of'], unit: Measure['unit'] = 'count'): Measure => ({ of, unit, better: 'down' })
const neutral = (of: Measure['of']): Measure => ({ of, unit: 'count', better: null })

/** What the earlier stretch is called: 上月同期, 上周, 去年, 前一时段… */
export function earlierName(t: T, e: Earlier, period: [number, number]): string {
  const week = e.months === 0 && period[1] - period[0] === 7 * 86_400_000
  const which = { 1: 'month', 3: 'quarter', 12: 'year' }[e.months] ?? (week ? 'week' : 'span')
  return t(`change.${which}${e.to_date ? 'ToDate' : ''}`)
}

function change(t: T, m: Measure, now: Figures, then: Figures): Change | undefined {
  const [a, b] = [m.of(now), m.of(then)]
  if (a === null || b === null) return undefined
  const d = m.unit === 'rate' ? (a - b) * 100 : a - b
  const shown = m.unit === 'count' ? String(Math.abs(d)) : fixed1(Math.abs(d))
  if (Number(shown) === 0) return { text: t('change.same'), good: null }
  const text = t(`change.${m.unit}`, { d: (d > 0 ? '+' : '−') + shown })
  return { text, good: m.better === null ? null : d > 0 === (m.better === 'up') }
}

export function figureCards(t: T, data: Dashboard | null, earlier: Earlier | null = null): Card[] {
  const x = data?.figures
  if (!data || !x) return []
  return cardsOf(t, data, x).map(({ measure, ...card }) => ({
    ...card,
    change: earlier ? change(t, measure, x, earlier.figures) : undefined,
  }))
}

function cardsOf(t: T, data: Dashboard, x: Figures): (Card & { measure: Measure })[] {
  const s = data.settings
  // Which visits the 三率 count, said beside each of them; per case (件) or per visit (次).
  const rule = t(`visitRule.${s.visit_rule}`)
  const ofValid = t(s.visit_rule === 'every' ? 'fig.ofValid' : 'fig.ofValidCases', { n: x.valid_visits })
  return [
    {
      figure: 'received',
      label: t('fig.received'),
      value: String(x.received),
      def: t('def.received'),
      measure: neutral((f) => f.received),
    },
    {
      figure: 'resolved',
      label: t('fig.resolveRate'),
      value: pct(x.resolve_rate),
      sub: t('fig.ofN', { n: x.resolved }),
      def: t('def.resolveRate'),
      measure: up((f) => f.resolve_rate),
    },
    {
      figure: 'within3',
      label: t('fig.within3Rate'),
      value: pct(x.within3_rate),
      sub:
        t('fig.ofN', { n: x.within3 }) + (x.within3_pending ? ' · ' + t('fig.pending', { n: x.within3_pending }) : ''),
      def: t('def.within3Rate'),
      measure: up((f) => f.within3_rate),
    },
    {
      figure: 'resolved',
      label: t('fig.avg'),
      value: x.avg_days === null ? '—' : t('fig.days', { d: fixed1(x.avg_days) }),
      sub: x.avg_working_days === null ? '' : t('fig.workingDays', { d: fixed1(x.avg_working_days) }),
      def: t('def.avg'),
      measure: down((f) => f.avg_days, 'days'),
    },
    {
      figure: 'responded_on_time',
      label: t('fig.onTimeResponse'),
      value: pct(x.on_time_response_rate),
      sub:
        t('fig.ofN', { n: x.responded_on_time }) +
        (x.response_pending ? ' · ' + t('fig.pending', { n: x.response_pending }) : ''),
      def: t('def.onTimeResponse'),
      measure: up((f) => f.on_time_response_rate),
    },
    {
      figure: 'responded',
      label: t('fig.avgResponse'),
      value: x.avg_response_hours === null ? '—' : t('fig.hours', { h: fixed1(x.avg_response_hours) }),
      sub: t('fig.respondedN', { n: x.responded }),
      def: t('def.avgResponse'),
      measure: down((f) => f.avg_response_hours, 'hours'),
    },
    {
      figure: 'overdue_now',
      label: t('fig.overdueNow'),
      value: String(x.overdue_now),
      def: t('def.overdueNow'),
      alert: x.overdue_now > 0,
      measure: down((f) => f.overdue_now),
    },
    {
      figure: 'overdue_in_period',
      label: t('fig.overdueInPeriod'),
      value: String(x.overdue_in_period),
      def: t('def.overdueInPeriod'),
      alert: x.overdue_in_period > 0,
      measure: down((f) => f.overdue_in_period),
    },
    {
      figure: 'extended',
      label: t('fig.extensions'),
      value: String(x.extensions),
      sub: t('fig.redos', { n: x.redos }),
      def: t('def.extensions'),
      measure: down((f) => f.extensions),
    },
    {
      figure: 'contacted',
      label: t('fig.responseRate'),
      value: pct(x.response_rate),
      sub: ofValid,
      def: t('def.withRule', { def: t('def.responseRate'), rule }),
      measure: up((f) => f.response_rate),
    },
    {
      figure: 'solved',
      label: t('fig.solutionRate'),
      value: pct(x.solution_rate),
      sub: ofValid,
      def: t('def.withRule', { def: t('def.solutionRate'), rule }),
      measure: up((f) => f.solution_rate),
    },
    {
      figure: 'satisfied',
      label: t('fig.satisfactionRate'),
      value: pct(x.satisfaction_rate),
      sub: t('fig.satBreakdown', { s: x.satisfied, b: x.basically_satisfied, d: x.dissatisfied }),
      def: t('def.withRule', { def: t('def.satisfactionRate', { factor: s.basic_factor }), rule }),
      measure: up((f) => f.satisfaction_rate),
    },
    {
      figure: 'valid_visits',
      label: t('fig.composite'),
      value: x.composite === null ? '—' : fixed1(x.composite * 100),
      def: t('def.composite', { a: s.weight_response, b: s.weight_solution, c: s.weight_satisfaction }),
      measure: up((f) => (f.composite === null ? null : f.composite * 100), 'points'),
    },
    {
      figure: 'letters',
      label: t('fig.letters'),
      value: String(x.letters),
      sub: t('fig.lettersSplit', { ok: x.letters_fulfilled, broken: x.letters_broken }),
      def: t('def.letters'),
      alert: x.letters_broken > 0,
      measure: neutral((f) => f.letters),
    },
  ]
}

/** Cases received (bars) and the 3-day completion rate (line) per week or month. */
export function trendOption(t: T, data: Dashboard | null, animation = true) {
  const g = data?.trend ?? []
  return {
    animation,
    tooltip: { trigger: 'axis' },
    legend: { data: [t('fig.received'), t('fig.within3Rate')] },
    grid: { left: 40, right: 40, top: 30, bottom: 30 },
    xAxis: { type: 'category', data: g.map((x) => x.key) },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    ],
    series: [
      { name: t('fig.received'), type: 'bar', data: g.map((x) => x.figures.received), itemStyle: { color: '#5470c6' } },
      {
        name: t('fig.within3Rate'),
        type: 'line',
        yAxisIndex: 1,
        data: g.map((x) => (x.figures.within3_rate === null ? null : +fixed1(x.figures.within3_rate * 100))),
        itemStyle: { color: '#d7263d' },
      },
    ],
  }
}

/** The dashboard's filters as the session keeps them, for the print sheet to repeat. */
export const SAVED_KEY = 'jiesu.dashboard'
