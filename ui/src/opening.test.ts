import { describe, expect, it } from 'vitest'
import { openingElapsed, openingPercent, openingStepText } from './opening'
import { translator } from './test/i18n'

describe('an upgrade shown while the store opens', () => {
  it('shows how far a counted step is, and no number for one that is not counted', () => {
    expect(openingPercent({ step: 'rewriting_cases', done: 250_000, total: 1_000_116 })).toBe(24)
    expect(openingPercent({ step: 'rewriting_cases', done: 1_000_116, total: 1_000_116 })).toBe(100)
    expect(openingPercent({ step: 'compacting', done: 0, total: 0 })).toBeNull()
  })

  it('names every step in each language, with its count', () => {
    const steps = ['migrating', 'rewriting_cases', 'folding', 'indexing', 'compacting'] as const
    for (const locale of ['zh-CN', 'zh-TW', 'en'] as const) {
      const { t, te } = translator(locale)
      for (const step of steps) expect(te(`opening.steps.${step}`), `${locale} ${step}`).toBe(true)
      const text = openingStepText(t, { step: 'rewriting_cases', done: 12_000, total: 1_000_116 })
      expect(text).toContain('12,000')
      expect(text).toContain('1,000,116')
    }
    const { t } = translator()
    expect(openingStepText(t, { step: 'migrating', done: 1, total: 4 })).toBe('升级数据结构（第 2 步，共 4 步）')
  })

  it('says the time taken in seconds, then minutes', () => {
    const { t } = translator()
    expect(openingElapsed(t, 4_200)).toBe('已用 4 秒')
    expect(openingElapsed(t, 125_000)).toBe('已用 2 分 05 秒')
  })
})
