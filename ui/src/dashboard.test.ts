import { describe, expect, it } from 'vitest'
import type { Dashboard } from './bindings/Dashboard'
import type { Earlier } from './bindings/Earlier'
import type { Figures } from './bindings/Figures'
import { earlierName, figureCards, trendOption } from './dashboard'
import { translator } from './test/i18n'

const { t } = translator()
const DAY = 86_400_000

function figures(over: Partial<Figures> = {}): Figures {
  return {
    received: 0,
    resolved: 0,
    within3: 0,
    within3_pending: 0,
    resolve_rate: null,
    within3_rate: null,
    avg_days: null,
    avg_working_days: null,
    overdue_now: 0,
    overdue_in_period: 0,
    extensions: 0,
    redos: 0,
    valid_visits: 0,
    contacted: 0,
    solved: 0,
    satisfied: 0,
    basically_satisfied: 0,
    dissatisfied: 0,
    response_rate: null,
    solution_rate: null,
    satisfaction_rate: null,
    composite: null,
    letters: 0,
    letters_fulfilled: 0,
    letters_broken: 0,
    responded: 0,
    responded_on_time: 0,
    response_pending: 0,
    on_time_response_rate: null,
    avg_response_hours: null,
    ...over,
  }
}

function dashboard(f: Figures, visit_rule: 'last' | 'first' | 'every' = 'last'): Dashboard {
  return {
    figures: f,
    trend: [
      { key: '2026-11', figures: figures({ received: 4, within3_rate: 0.75 }) },
      { key: '2026-12', figures: figures({ received: 2 }) },
    ],
    categories: [],
    ranking: { ranked: [], apart: [] },
    buildings: [],
    channels: [],
    offices: [],
    settings: {
      weight_response: 0.2,
      weight_solution: 0.4,
      weight_satisfaction: 0.4,
      basic_factor: 0.8,
      min_sample: 5,
      visit_rule,
    },
  }
}

const earlier = (f: Figures, months = 1, to_date = false, days = 30): Earlier => ({
  from: 0,
  to: days * DAY,
  to_date,
  months,
  figures: f,
})
const card = (cards: ReturnType<typeof figureCards>, label: string) => cards.find((c) => c.label === label)!

describe('figure cards', () => {
  it('shows nothing without data, and a dash for a rate with nothing to divide', () => {
    expect(figureCards(t, null)).toEqual([])
    const cards = figureCards(t, dashboard(figures({ received: 3 })))
    expect(card(cards, '受理').value).toBe('3')
    expect(card(cards, '办结率').value).toBe('—')
    expect(card(cards, '3天办结率').sub).toBe('0 件')
  })

  it('says how many cases are not yet due beside the 3-day rate', () => {
    const cards = figureCards(t, dashboard(figures({ within3: 2, within3_pending: 5, within3_rate: 1 })))
    expect(card(cards, '3天办结率').value).toBe('100.0%')
    expect(card(cards, '3天办结率').sub).toBe('2 件 · 未到期 5 件')
  })

  it('counts visits in 件 under a per-case rule and in 次 under every visit', () => {
    const f = figures({ valid_visits: 7 })
    expect(card(figureCards(t, dashboard(f, 'last')), '解决率').sub).toBe('有效回访 7 件')
    expect(card(figureCards(t, dashboard(f, 'every')), '解决率').sub).toBe('有效回访 7 次')
    expect(card(figureCards(t, dashboard(f, 'first')), '满意率').def).toContain('第一次回访')
  })

  it('raises an alert only when something is overdue or a letter broken', () => {
    expect(card(figureCards(t, dashboard(figures())), '当前超期').alert).toBe(false)
    expect(card(figureCards(t, dashboard(figures({ overdue_now: 1 }))), '当前超期').alert).toBe(true)
  })
})

describe('the change since the earlier stretch', () => {
  it('is green when a rate rises and red when overdue cases rise', () => {
    const now = figures({ resolve_rate: 0.9, overdue_now: 4 })
    const cards = figureCards(t, dashboard(now), earlier(figures({ resolve_rate: 0.8, overdue_now: 1 })))
    expect(card(cards, '办结率').change).toEqual({ text: '+10.0 个百分点', good: true })
    expect(card(cards, '当前超期').change).toEqual({ text: '+3', good: false })
  })

  it('is neutral for the number received, and "持平" when nothing moved', () => {
    const cards = figureCards(t, dashboard(figures({ received: 5 })), earlier(figures({ received: 9 })))
    expect(card(cards, '受理').change).toEqual({ text: '−4', good: null })
    expect(card(cards, '当前超期').change).toEqual({ text: '持平', good: null })
  })

  it('is absent when either side has no value', () => {
    const cards = figureCards(t, dashboard(figures({ resolve_rate: 0.5 })), earlier(figures()))
    expect(card(cards, '办结率').change).toBeUndefined()
    expect(figureCards(t, dashboard(figures({ resolve_rate: 0.5 })))[1].change).toBeUndefined()
  })

  it('is named after the stretch it compares with', () => {
    expect(earlierName(t, earlier(figures()), [0, 30 * DAY])).toBe('较上月')
    expect(earlierName(t, earlier(figures(), 1, true), [0, 30 * DAY])).toBe('较上月同期')
    expect(earlierName(t, earlier(figures(), 12), [0, 365 * DAY])).toBe('较去年')
    expect(earlierName(t, earlier(figures(), 0), [0, 7 * DAY])).toBe('较上周')
    expect(earlierName(t, earlier(figures(), 0), [0, 10 * DAY])).toBe('较前一时段')
  })
})

describe('the trend', () => {
  it('draws the received as bars and the 3-day rate as a percentage line with gaps', () => {
    const o = trendOption(t, dashboard(figures()))
    expect(o.xAxis.data).toEqual(['2026-11', '2026-12'])
    expect(o.series[0].data).toEqual([4, 2])
    expect(o.series[1].data).toEqual([75, null])
  })
})
