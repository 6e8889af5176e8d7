// Turns a JiesuError into a sentence in the user's language: the code picks the message,
// the params fill it, and state/action/field names are translated too.
import type { Composer } from 'vue-i18n'
import { JiesuError } from './api'
import { roughSpan } from './format'

export function errorText(t: Composer['t'], te: Composer['te'], e: unknown): string {
  if (!(e instanceof JiesuError)) return String(e)
  const p = e.params
  const tr = (prefix: string, v: string | undefined) => (v && te(`${prefix}.${v}`) ? t(`${prefix}.${v}`) : (v ?? ''))
  switch (e.code) {
    case 'action_not_allowed':
      return t('errors.action_not_allowed', { state: tr('state', p.state), action: tr('action', p.action) })
    case 'invalid_input':
      // A refusal about the request as a whole names no field: its reason is the sentence.
      if (!p.field && p.reason) return tr('reasons', p.reason)
      // Field names are dotted paths ("resident.phone"); message keys use underscores.
      return t('errors.invalid_input', {
        field: tr('fields', p.field?.replace(/\./g, '_')),
        reason: tr('reasons', p.reason),
      })
    case 'minutes_locked':
      return t('errors.minutes_locked')
    case 'not_facilitator':
      return t('errors.not_facilitator', { name: p.facilitator })
    case 'deadline_passed':
      return t('errors.deadline_passed', { due: p.due })
    case 'not_found':
      return t('errors.not_found', { id: p.id })
    case 'storage':
      return t('errors.storage', { message: e.message })
    case 'too_many_attempts':
      return t('errors.too_many_attempts', { minutes: Math.ceil(Number(p.retry_after_s ?? 0) / 60) })
    case 'clock_ahead':
      return t('errors.clock_ahead', { span: roughSpan(t, Number(p.ahead_ms ?? 0)) })
    case 'forbidden':
      // The refused step by its trace name (an event kind) or the command's (an act).
      return t('errors.forbidden', {
        role: tr('accountRole', p.role),
        action: p.action && te(`kind.${p.action}`) ? t(`kind.${p.action}`) : tr('act', p.action),
      })
    case 'sign_in_required':
    case 'sign_in_failed':
    case 'unauthorized':
    case 'out_of_scope':
    case 'too_large':
    case 'offline':
    case 'server':
      return t(`errors.${e.code}`)
    default:
      return t('errors.ipc', { message: e.message })
  }
}
