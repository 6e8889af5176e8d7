import { describe, expect, it } from 'vitest'
import type { EventBody } from './bindings/EventBody'
import { eventSummary, officeNamer, type Names } from './timeline'
import { translator } from './test/i18n'

// The core's golden fixtures: one stored stream per event kind and version, never regenerated.
// Whatever the log holds, the trace must be able to name and summarise.
const fixtures = import.meta.glob<{ kind: string; stream: { body: EventBody }[] }>(
  '../../crates/jiesu-core/tests/fixtures/events/**/*.json',
  { eager: true, import: 'default' },
)
// Kinds whose step says everything in its name (the settings log shows their values; a lookup
// code is never shown in the trace, only that one was issued).
const SAID_BY_NAME = new Set(['figure_settings_set', 'figure_settings_set_v2', 'case_lookup_code_set'])

const names = (t: Names['t']): Names => ({
  t,
  unit: (c) => `unit:${c}`,
  category: (c) => `category:${c}`,
  office: (o) => `office:${o}`,
  caseNumber: (id) => `number:${id}`,
  attendee: (id) => `attendee:${id}`,
  account: (id) => `account:${id}`,
})

describe('the trace reads every stored event kind', () => {
  const files = Object.entries(fixtures)

  it('has the fixtures to read', () => {
    expect(files.length).toBeGreaterThanOrEqual(44)
  })

  for (const locale of ['zh-CN', 'zh-TW', 'en'] as const) {
    it(`names and summarises each kind in ${locale}`, () => {
      const { t, te } = translator(locale)
      for (const [file, fixture] of files) {
        for (const { body } of fixture.stream) {
          expect(te(`kind.${body.kind}`, locale), `${file}: kind.${body.kind}`).toBe(true)
          const line = eventSummary(names(t), body)
          expect(line, file).not.toMatch(/undefined|\[object|\{|^\s·|·\s$/)
          // Empty only where the step recorded no text (an acceptance without a note).
          const saysSomething = /"[^"]+":"[^"]+"/.test(JSON.stringify(body.payload))
          if (saysSomething && !SAID_BY_NAME.has(body.kind)) expect(line, `${file}: ${body.kind}`).not.toBe('')
        }
      }
    })
  }
})

describe('summaries', () => {
  const { t } = translator()

  it('names a dispatched unit and leaves out an empty note', () => {
    const body: EventBody = { kind: 'case_dispatched', payload: { unit: 'wy', note: '' } }
    expect(eventSummary(names(t), body)).toBe('→ unit:wy')
  })

  it('says what a campaign change changed, offices by name, then why', () => {
    const body: EventBody = {
      kind: 'campaign_amended',
      payload: { campaign: 'c-1', due_date: '2027-01-31', offices: ['b', 'c'], closed: true, note: '总结' },
    }
    expect(eventSummary(names(t), body)).toBe('期限改为 2027-01-31 · 增加单位：office:b、office:c · 结束整改 · 总结')
  })

  it('gives a link the other case by number, not id', () => {
    const body: EventBody = { kind: 'case_linked', payload: { other: 'c-2', link: 'related' } }
    expect(eventSummary(names(t), body)).toBe('关联 → number:c-2')
  })

  it('names a signed-in attendee from the sheet', () => {
    const body: EventBody = { kind: 'attendee_signed_in', payload: { attendee: 'a-1' } }
    expect(eventSummary(names(t), body)).toBe('attendee:a-1')
  })

  it('says an unreachable resident with a dash', () => {
    const body = {
      kind: 'case_visited',
      payload: { reachable: false, satisfaction: null, note: 'x' },
    } as unknown as EventBody
    expect(eventSummary(names(t), body)).toBe('—')
  })
})

describe('the office a step was taken at', () => {
  const directory = [
    { id: 'hm', name: '和美社区' },
    { id: 'hy', name: '和谐街道' },
  ]
  const unenrolled = () => '入网前'

  it('is this office by name before it enrolled, when its steps carry local', () => {
    const name = officeNamer([], { office: 'local', office_name: '和美社区' }, unenrolled)
    expect(name('local')).toBe('和美社区')
  })

  it('after enrolment: work from before is 入网前, offices by the directory, unknown ids as they are', () => {
    const name = officeNamer(directory, { office: 'hm', office_name: '和美社区（本机）' }, unenrolled)
    expect(name('local')).toBe('入网前')
    expect(name('hm')).toBe('和美社区（本机）')
    expect(name('hy')).toBe('和谐街道')
    expect(name('zz')).toBe('zz')
  })
})
