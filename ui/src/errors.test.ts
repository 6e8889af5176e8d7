import { describe, expect, it } from 'vitest'
import { JiesuError } from './api'
import { errorText } from './errors'
import { translator } from './test/i18n'

const zh = translator('zh-CN')
const en = translator('en')
const text = (e: unknown, tr = zh) => errorText(tr.t, tr.te, e)

describe('a refusal from the core reads as a sentence', () => {
  it('names the field by its dotted path and the reason, translated', () => {
    const e = new JiesuError('invalid_input', 'resident.phone: phone_length', {
      field: 'resident.phone',
      reason: 'phone_length',
    })
    expect(text(e)).toBe('「联系电话」应为 5–20 位数字')
    expect(text(e, en)).not.toContain('resident')
  })

  it('uses the reason alone when the request as a whole is refused', () => {
    expect(text(new JiesuError('invalid_input', 'weights', { reason: 'weights_sum' }))).toBe('三项权重之和须为 1')
  })

  it('translates the state and the action of a refused step', () => {
    const e = new JiesuError('action_not_allowed', 'x', { state: 'received', action: 'accept' })
    expect(text(e)).toBe('案件当前为「待派单」，不能「签收」')
  })

  it('keeps an unknown name as it came rather than showing a message key', () => {
    const e = new JiesuError('invalid_input', 'x', { field: 'no_such_field', reason: 'no_such_reason' })
    expect(text(e)).toBe('「no_such_field」no_such_reason')
  })

  it('says how long to wait after too many attempts, in whole minutes', () => {
    expect(text(new JiesuError('too_many_attempts', 'x', { retry_after_s: '61' }))).toContain('2 分钟')
  })

  it('says how far the clock is ahead in days, not minutes', () => {
    const ahead = String(3 * 86_400_000 + 3_600_000)
    expect(text(new JiesuError('clock_ahead', 'x', { ahead_ms: ahead }))).toContain('快了 3天')
  })

  it('names the role and the refused step when a role may not do something', () => {
    const step = new JiesuError('forbidden', 'x', { role: 'viewer', action: 'case_urged' })
    expect(text(step)).toBe('「查看」账号不能「督办催办」，未作任何改动')
    const act = new JiesuError('forbidden', 'x', { role: 'worker', action: 'manage_accounts' })
    expect(text(act)).toBe('「社区工作者」账号不能「管理账号」，未作任何改动')
    expect(text(act, en)).toBe('The role “Community worker” may not do “manage accounts”; nothing was changed')
  })

  it('says the same for a wrong login and a wrong password', () => {
    expect(text(new JiesuError('sign_in_failed', 'x'))).toBe('登录名或密码不正确')
    expect(text(new JiesuError('sign_in_required', 'x'))).toBe('请先登录')
  })

  it('gives each transport failure its own sentence', () => {
    for (const code of ['unauthorized', 'out_of_scope', 'too_large', 'offline', 'server'] as const) {
      const s = text(new JiesuError(code, 'raw'))
      expect(s).not.toBe(`errors.${code}`)
      expect(s).not.toContain('raw')
    }
  })

  it("shows Tauri's own refusals and anything else as they came", () => {
    expect(text(new JiesuError('ipc', 'command x not allowed'))).toContain('command x not allowed')
    expect(text(new Error('boom'))).toBe('Error: boom')
    expect(text('plain')).toBe('plain')
  })
})
