import { describe, expect, it } from 'vitest'
import {
  categoryPaths,
  chinaDayStart,
  chinaDays,
  chinaTime,
  dueText,
  endOfChinaDay,
  fmtDate,
  fixed1,
  fmtShortTime,
  fmtTime,
  letterTagType,
  pct,
  periodOf,
  pickerDate,
  pickerTime,
  roughSpan,
  span,
} from './format'
import { translator } from './test/i18n'

const { t } = translator()
const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
/** An instant given as China civil time. */
const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min)

describe('China time, whatever the PC says', () => {
  it('runs on a PC far from China', () => {
    expect(new Date(2026, 11, 3).getTimezoneOffset()).toBe(480)
  })

  it('shows an instant as the China civil time', () => {
    // 23:30 UTC on 2026-11-30 is already December 1st in Beijing.
    expect(fmtTime(Date.UTC(2026, 10, 30, 23, 30))).toBe('2026-12-01 07:30')
    expect(fmtDate(Date.UTC(2026, 10, 30, 15, 59))).toBe('2026-11-30')
    expect(fmtDate(Date.UTC(2026, 10, 30, 16, 0))).toBe('2026-12-01')
  })

  it('shortens an instant to what today does not already say', () => {
    const now = cst(2026, 12, 5, 9)
    expect(fmtShortTime(cst(2026, 12, 5, 0, 1), now)).toBe('00:01')
    expect(fmtShortTime(cst(2026, 12, 4, 23, 59), now)).toBe('12-04 23:59')
    expect(fmtShortTime(cst(2025, 12, 5, 9), now)).toBe('2025-12-05 09:00')
  })

  it('starts the China day at 16:00 UTC the day before', () => {
    expect(chinaDayStart(cst(2026, 12, 1, 23, 59))).toBe(cst(2026, 12, 1))
    expect(chinaDayStart(cst(2026, 12, 1, 0, 0))).toBe(cst(2026, 12, 1))
    expect(chinaDayStart(cst(2026, 12, 31, 12), 1)).toBe(cst(2027, 1, 1))
    expect(chinaDayStart(cst(2024, 3, 1, 8), -1)).toBe(cst(2024, 2, 29))
  })

  it('turns a picked date into the end of that China day and back', () => {
    // The picker hands over a local Date at midnight of the chosen day (here in Los Angeles).
    const picked = new Date(2026, 11, 3)
    const end = endOfChinaDay(picked)
    expect(end).toBe(cst(2026, 12, 4))
    expect(pickerDate(end - 1).getDate()).toBe(3)
    expect(pickerDate(end - 1).getMonth()).toBe(11)
  })

  it('shows a meeting’s China time in the picker and reads the picked wall time back as China time', () => {
    // 14:30 in Beijing is 22:30 the day before in Los Angeles; the picker must show 14:30.
    const at = cst(2026, 12, 3, 14, 30)
    const shown = pickerTime(at)
    expect([shown.getDate(), shown.getHours(), shown.getMinutes()]).toEqual([3, 14, 30])
    expect(chinaTime(shown)).toBe(at)
    // A wall time picked on this PC means that time in China, not here.
    expect(chinaTime(new Date(2026, 11, 31, 9, 0))).toBe(cst(2026, 12, 31, 9))
    expect(new Date(2026, 11, 31, 9, 0).getTime()).not.toBe(cst(2026, 12, 31, 9))
  })

  it('hands back a meeting’s start to the millisecond when its time is left untouched', () => {
    // Meetings scheduled before the pickers kept China time started at the second they were
    // made: correcting only their title must not move their start (the trace would show it).
    const made = cst(2026, 11, 20, 9, 41) + 37_512
    expect(chinaTime(pickerTime(made))).toBe(made)
    for (let at = cst(2026, 3, 1); at < cst(2026, 3, 2); at += 3_600_000 + 1_234) {
      expect(chinaTime(pickerTime(at))).toBe(at)
    }
  })

  it('reads a picked range as whole China days, not the PC zone’s days', () => {
    // Los Angeles' 2026-12-03 00:00 is 16:00 that day in Beijing: the local reading would
    // start the range at Beijing's afternoon and miss the morning's cases.
    const [from, to] = chinaDays(new Date(2026, 11, 3), new Date(2026, 11, 4))
    expect(from).toBe(cst(2026, 12, 3))
    expect(to).toBe(cst(2026, 12, 5))
    expect(new Date(2026, 11, 3).getTime()).not.toBe(from)
    const [a, b] = chinaDays(new Date(2026, 11, 31), new Date(2026, 11, 31))
    expect([a, b]).toEqual([cst(2026, 12, 31), cst(2027, 1, 1)])
  })
})

describe('periods', () => {
  it('starts a week on Monday in China even when it is still Sunday in UTC', () => {
    // Monday 2026-11-30 00:30 in Beijing is Sunday 16:30 UTC.
    const [from, to] = periodOf('week', cst(2026, 11, 30, 0, 30))
    expect(from).toBe(cst(2026, 11, 30))
    expect(to - from).toBe(7 * DAY)
    expect(periodOf('week', cst(2026, 11, 29, 23, 59))[0]).toBe(cst(2026, 11, 23))
  })

  it('gives months, quarters and years in China time, and earlier ones', () => {
    const at = cst(2026, 12, 1, 0, 5)
    expect(periodOf('month', at)).toEqual([cst(2026, 12, 1), cst(2027, 1, 1)])
    expect(periodOf('month', at, 1)).toEqual([cst(2026, 11, 1), cst(2026, 12, 1)])
    expect(periodOf('month', cst(2026, 3, 15), 2)).toEqual([cst(2026, 1, 1), cst(2026, 2, 1)])
    expect(periodOf('quarter', at)).toEqual([cst(2026, 10, 1), cst(2027, 1, 1)])
    expect(periodOf('quarter', cst(2026, 2, 1), 1)).toEqual([cst(2025, 10, 1), cst(2026, 1, 1)])
    expect(periodOf('year', at, 1)).toEqual([cst(2025, 1, 1), cst(2026, 1, 1)])
  })
})

describe('spans', () => {
  it('reads days and hours, then hours, then minutes', () => {
    expect(span(t, 2 * DAY + 3 * HOUR + 5 * MIN)).toBe('2天3小时')
    expect(span(t, 2 * DAY + 20 * MIN)).toBe('2天')
    expect(span(t, 5 * HOUR + 59 * MIN)).toBe('5小时')
    // Under two days, hours: a 24-hour urgent case is not "1天".
    expect(span(t, DAY)).toBe('24小时')
    expect(span(t, 2 * DAY - MIN)).toBe('47小时')
    expect(span(t, 59 * MIN + 59_000)).toBe('59分钟')
    expect(span(t, -90 * MIN)).toBe('1小时')
  })

  it('rounds a clock error to its largest unit', () => {
    expect(roughSpan(t, 3666240 * MIN)).toBe('2546天')
    expect(roughSpan(t, 90 * MIN)).toBe('2小时')
    expect(roughSpan(t, -10_000)).toBe('1分钟')
  })

  it('says overdue, time left, or stopped', () => {
    const now = cst(2026, 12, 2, 9)
    expect(dueText(t, now - 2 * HOUR, now, true)).toBe('已超期 2小时')
    expect(dueText(t, now, now, true)).toBe('已超期 0分钟')
    expect(dueText(t, now + DAY, now, true)).toBe('剩余 24小时')
    expect(dueText(t, now - DAY, now, false)).toBe('已停止计时')
  })
})

describe('labels', () => {
  it('names every category by its path in the chosen language', () => {
    const tree = [
      {
        code: '01',
        zh: '城市管理',
        en: 'City',
        children: [{ code: '0101', zh: '停车管理', en: 'Parking', children: [] }],
      },
    ]
    const zh = categoryPaths(tree as never, 'zh-CN')
    expect(zh.get('0101')).toBe('城市管理 / 停车管理')
    expect(categoryPaths(tree as never, 'en').get('0101')).toBe('City / Parking')
    expect(zh.size).toBe(2)
  })

  it('colours a letter by how it stands, one rule for every page', () => {
    expect(letterTagType('broken')).toBe('danger')
    expect(letterTagType('fulfilled')).toBe('success')
    expect(letterTagType('void')).toBe('info')
    expect(letterTagType('due')).toBe('warning')
  })

  it('shows a rate to one decimal and nothing to divide as a dash', () => {
    expect(pct(0.123)).toBe('12.3%')
    expect(pct(1)).toBe('100.0%')
    expect(pct(null)).toBe('—')
    expect(pct(undefined)).toBe('—')
  })

  it('rounds tenths as the exported spreadsheet does, not as the binary value falls', () => {
    // 0.8765 * 100 is 87.64999… in binary; "0.0%" in the .xlsx shows 87.7%.
    expect(pct(0.8765)).toBe('87.7%')
    expect(pct(1753 / 2000)).toBe('87.7%')
    expect(fixed1(1.005 * 10)).toBe('10.1')
    expect(fixed1(2.25)).toBe('2.3')
    expect(fixed1(-2.25)).toBe('-2.3')
    expect(fixed1(-0.04)).toBe('0.0')
    expect(fixed1(0)).toBe('0.0')
  })
})
