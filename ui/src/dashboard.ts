// What the dashboard and its A4 print sheet both show: the figure cards with their
// definitions and the trend chart. The numbers come from the core; this only labels them.
import type { Dashboard } from './bindings/Dashboard'
import type { Figure } from './bindings/Figure'
import { pct } from './format'

type T = (key: string, named?: Record<string, unknown>) => string

export interface Card {
  figure: Figure
  label: string
  value: string
  sub?: string
  def: string
  alert?: boolean
}

export function figureCards(t: T, data: Dashboard | null): Card[] {
  const x = data?.figures
  if (!data || !x) return []
  const s = data.settings
  // Which visits the 三率 count, said beside each of them; per case (件) or per visit (次).
  const rule = t(`visitRule.${s.visit_rule}`)
  const ofValid = t(s.visit_rule === 'every' ? 'fig.ofValid' : 'fig.ofValidCases', { n: x.valid_visits })
  return [
    { figure: 'received', label: t('fig.received'), value: String(x.received), def: t('def.received') },
    { figure: 'resolved', label: t('fig.resolveRate'), value: pct(x.resolve_rate), sub: t('fig.ofN', { n: x.resolved }), def: t('def.resolveRate') },
    {
      figure: 'within3', label: t('fig.within3Rate'), value: pct(x.within3_rate),
      sub: t('fig.ofN', { n: x.within3 }) + (x.within3_pending ? ' · ' + t('fig.pending', { n: x.within3_pending }) : ''),
      def: t('def.within3Rate'),
    },
    {
      figure: 'resolved', label: t('fig.avg'), value: x.avg_days === null ? '—' : t('fig.days', { d: x.avg_days.toFixed(1) }),
      sub: x.avg_working_days === null ? '' : t('fig.workingDays', { d: x.avg_working_days.toFixed(1) }), def: t('def.avg'),
    },
    {
      figure: 'responded_on_time', label: t('fig.onTimeResponse'), value: pct(x.on_time_response_rate),
      sub: t('fig.ofN', { n: x.responded_on_time }) + (x.response_pending ? ' · ' + t('fig.pending', { n: x.response_pending }) : ''),
      def: t('def.onTimeResponse'),
    },
    {
      figure: 'responded', label: t('fig.avgResponse'), value: x.avg_response_hours === null ? '—' : t('fig.hours', { h: x.avg_response_hours.toFixed(1) }),
      sub: t('fig.respondedN', { n: x.responded }), def: t('def.avgResponse'),
    },
    { figure: 'overdue_now', label: t('fig.overdueNow'), value: String(x.overdue_now), def: t('def.overdueNow'), alert: x.overdue_now > 0 },
    { figure: 'overdue_in_period', label: t('fig.overdueInPeriod'), value: String(x.overdue_in_period), def: t('def.overdueInPeriod'), alert: x.overdue_in_period > 0 },
    { figure: 'extended', label: t('fig.extensions'), value: String(x.extensions), sub: t('fig.redos', { n: x.redos }), def: t('def.extensions') },
    { figure: 'contacted', label: t('fig.responseRate'), value: pct(x.response_rate), sub: ofValid, def: t('def.withRule', { def: t('def.responseRate'), rule }) },
    { figure: 'solved', label: t('fig.solutionRate'), value: pct(x.solution_rate), sub: ofValid, def: t('def.withRule', { def: t('def.solutionRate'), rule }) },
    {
      figure: 'satisfied', label: t('fig.satisfactionRate'), value: pct(x.satisfaction_rate),
      sub: t('fig.satBreakdown', { s: x.satisfied, b: x.basically_satisfied, d: x.dissatisfied }),
      def: t('def.withRule', { def: t('def.satisfactionRate', { factor: s.basic_factor }), rule }),
    },
    {
      figure: 'valid_visits', label: t('fig.composite'), value: x.composite === null ? '—' : (x.composite * 100).toFixed(1),
      def: t('def.composite', { a: s.weight_response, b: s.weight_solution, c: s.weight_satisfaction }),
    },
    {
      figure: 'letters', label: t('fig.letters'), value: String(x.letters),
      sub: t('fig.lettersSplit', { ok: x.letters_fulfilled, broken: x.letters_broken }), def: t('def.letters'), alert: x.letters_broken > 0,
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
    yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } }],
    series: [
      { name: t('fig.received'), type: 'bar', data: g.map((x) => x.figures.received), itemStyle: { color: '#5470c6' } },
      {
        name: t('fig.within3Rate'), type: 'line', yAxisIndex: 1,
        data: g.map((x) => (x.figures.within3_rate === null ? null : +(x.figures.within3_rate * 100).toFixed(1))),
        itemStyle: { color: '#d7263d' },
      },
    ],
  }
}

/** The dashboard's filters as the session keeps them, for the print sheet to repeat. */
export const SAVED_KEY = 'jiesu.dashboard'
