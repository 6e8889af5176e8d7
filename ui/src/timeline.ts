// One line saying what an event recorded, in the user's language: the case page's trace and
// the meeting page's trace both read it. Every kind is named here (the switch is exhaustive),
// so a new event kind cannot reach a trace without a decision about what it shows.
import type { Composer } from 'vue-i18n'
import type { CampaignAmendment } from './bindings/CampaignAmendment'
import type { EventBody } from './bindings/EventBody'
import type { Identity } from './bindings/Identity'
import type { Office } from './bindings/Office'
import { fmtTime, roughSpan } from './format'

/** How the page names what an event refers to by id or code. */
export interface Names {
  t: Composer['t']
  unit: (code: string) => string
  category: (code: string) => string
  office: (id: string) => string
  /** A linked case's number (the page knows its links); the id itself otherwise. */
  caseNumber?: (id: string) => string
  /** A meeting attendee's name (the meeting page knows its sheet). */
  attendee?: (id: string) => string
  /** An account's name (an administrator's page knows the office's accounts). */
  account?: (id: string) => string
}

const joined = (...parts: (string | false | null | undefined)[]) => parts.filter(Boolean).join(' · ')

/** What a change to a campaign changed, a phrase each (the board's record and the trace). */
export function campaignChanges(n: Names, c: CampaignAmendment): string[] {
  const t = n.t
  const out: string[] = []
  if (c.title !== undefined) out.push(t('campaign.changedTitle', { title: c.title }))
  if (c.problem !== undefined) out.push(t('campaign.changedProblem'))
  if (c.standard !== undefined) out.push(t('campaign.changedStandard'))
  if (c.due_date !== undefined) out.push(t('campaign.changedDue', { date: c.due_date }))
  if (c.offices?.length) out.push(t('campaign.changedOffices', { offices: c.offices.map(n.office).join('、') }))
  if (c.closed === true) out.push(t('campaign.changedClosed'))
  if (c.closed === false) out.push(t('campaign.changedReopened'))
  return out
}

export function eventSummary(n: Names, b: EventBody): string {
  const t = n.t
  switch (b.kind) {
    case 'case_received':
      return joined(t(`channel.${b.payload.channel}`), n.category(b.payload.category), b.payload.description)
    case 'case_dispatched':
      return joined(`→ ${n.unit(b.payload.unit)}`, b.payload.note)
    case 'case_transferred':
      return joined(`→ ${n.unit(b.payload.unit)}`, b.payload.reason)
    case 'case_transferred_to_office':
      return joined(`→ ${b.payload.office_name || n.office(b.payload.office)}`, b.payload.reason)
    case 'case_office_assigned':
    case 'meeting_office_assigned':
      return `→ ${b.payload.office_name || n.office(b.payload.office)}`
    case 'case_times_corrected':
    case 'meeting_times_corrected':
      return t('detail.timesCorrected', {
        n: b.payload.events,
        from: fmtTime(b.payload.first_ms),
        span: roughSpan(t, -b.payload.shifted_ms),
      })
    case 'case_accepted':
    case 'case_archived':
    case 'case_urged':
    case 'minutes_approved':
      return b.payload.note
    case 'case_noted':
    case 'case_noted_public':
      return (b.payload.contacted_resident ? `[${t('detail.contactedResident')}] ` : '') + b.payload.text
    case 'case_returned':
    case 'case_withdrawn':
      return b.payload.reason
    case 'extension_requested':
      return joined(`${t('fields.new_due')} ${fmtTime(b.payload.new_due)}`, b.payload.reason)
    case 'extension_decided':
      return joined(b.payload.approved ? t('detail.approve') : t('detail.refuse'), b.payload.note)
    case 'case_resolved':
      return joined(t(`outcome.${b.payload.outcome}`), b.payload.result)
    case 'case_visited':
      if (!b.payload.reachable) return '—'
      return joined(b.payload.satisfaction && t(`satisfaction.${b.payload.satisfaction}`), b.payload.note)
    case 'case_redone':
      return joined(b.payload.reason, `${t('fields.resolve_due')} ${fmtTime(b.payload.resolve_due)}`)
    case 'case_solved_on_spot':
      return b.payload.result
    case 'commitment_issued':
      return joined(b.payload.promise, t('letter.by', { date: b.payload.due_date }), b.payload.responsible)
    case 'case_linked': {
      const other = b.payload.other
      const verb = t(b.payload.link === 'duplicate' ? 'action.merge' : 'action.link')
      return `${verb} → ${n.caseNumber?.(other) ?? other}`
    }
    case 'case_unmerged':
      return joined(`${t('action.unmerge')} ← ${n.caseNumber?.(b.payload.other) ?? b.payload.other}`, b.payload.reason)
    case 'attendee_added':
      return joined(b.payload.name, t(`role.${b.payload.role}`))
    case 'attendee_signed_in':
    case 'attendee_removed':
      return n.attendee?.(b.payload.attendee) ?? ''
    case 'agenda_item_added':
      return b.payload.title
    case 'minutes_recorded':
      return b.payload.text.slice(0, 40)
    case 'meeting_item_added':
      return joined(t(`item.${b.payload.kind}`), b.payload.text)
    case 'minutes_amended':
      return `${b.payload.text} (${b.payload.reason})`
    case 'meeting_case_opened':
    case 'meeting_case_linked':
      return b.payload.number
    case 'meeting_scheduled':
    case 'meeting_rescheduled':
      return joined(b.payload.title, fmtTime(b.payload.starts_at))
    case 'unit_added':
      return b.payload.name
    case 'calendar_day_set':
      return b.payload.date
    case 'figure_settings_set':
    case 'figure_settings_set_v2':
      return ''
    case 'account_added':
      return joined(b.payload.name, b.payload.login, t(`accountRole.${b.payload.role}`))
    case 'account_role_set':
      return joined(
        n.account?.(b.payload.account) ?? b.payload.account.slice(0, 8),
        `→ ${t(`accountRole.${b.payload.role}`)}`,
      )
    case 'account_removed':
    case 'password_set':
      return n.account?.(b.payload.account) ?? b.payload.account.slice(0, 8)
    case 'work_order_imported':
      return joined(b.payload.order_type, b.payload.city_category)
    case 'case_campaign_joined':
      return b.payload.title
    case 'campaign_opened':
      return joined(b.payload.title, t('campaign.dueBy', { date: b.payload.due_date }))
    case 'campaign_amended':
      return joined(...campaignChanges(n, b.payload), b.payload.note)
    case 'signed_in':
    // The code itself is never stored, only its hash: the trace says that one was issued.
    case 'case_lookup_code_set':
      return ''
    case 'signed_out':
      return b.payload.idle ? t('accounts.lockedIdle') : ''
    default: {
      const unnamed: never = b
      return unnamed
    }
  }
}

/**
 * Names the office a step was taken at: this PC's own office by its own name (before it
 * enrolled too, when its steps carry `local`), others from the server's directory; `local`
 * that is not this PC's is work done before its office joined (`unenrolled`).
 */
export function officeNamer(
  directory: Pick<Office, 'id' | 'name'>[],
  me: Pick<Identity, 'office' | 'office_name'> | undefined,
  unenrolled: () => string,
): (id: string) => string {
  const names = new Map(directory.map((o) => [o.id, o.name]))
  if (me?.office_name) names.set(me.office, me.office_name)
  return (id) => names.get(id) ?? (id === 'local' ? unenrolled() : id)
}
