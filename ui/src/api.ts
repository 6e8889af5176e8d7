// The one door to the core: typed wrappers over Tauri's invoke. Every payload type comes
// from src/bindings (generated from the Rust types by ts-rs), and every failure becomes a
// JiesuError carrying the core's {code, message, params}.
import { invoke } from '@tauri-apps/api/core'
import type { TimelineEntry } from './bindings/TimelineEntry'
import type { AppInfo } from './bindings/AppInfo'
import type { Attachment } from './bindings/Attachment'
import type { Case } from './bindings/Case'
import type { CaseCommand } from './bindings/CaseCommand'
import type { CaseDetail } from './bindings/CaseDetail'
import type { CaseReceipt } from './bindings/CaseReceipt'
import type { CasePage } from './bindings/CasePage'
import type { CaseQuery } from './bindings/CaseQuery'
import type { CalendarYear } from './bindings/CalendarYear'
import type { Account } from './bindings/Account'
import type { NewAccount } from './bindings/NewAccount'
import type { Role } from './bindings/Role'
import type { Session } from './bindings/Session'
import type { PersonalField } from './bindings/PersonalField'
import type { AccessRecord } from './bindings/AccessRecord'
import type { TraceCheck } from './bindings/TraceCheck'
import type { BackupSettings } from './bindings/BackupSettings'
import type { BackupSummary } from './bindings/BackupSummary'
import type { Unit } from './bindings/Unit'
import type { Catalog } from './bindings/Catalog'
import type { Code } from './bindings/Code'
import type { NewCase } from './bindings/NewCase'
import type { NewCampaign } from './bindings/NewCampaign'
import type { NewSite } from './bindings/NewSite'
import type { CampaignSummary } from './bindings/CampaignSummary'
import type { CampaignBoard } from './bindings/CampaignBoard'
import type { CampaignChange } from './bindings/CampaignChange'
import type { Cluster } from './bindings/Cluster'
import type { ResidentHint } from './bindings/ResidentHint'
import type { Setup } from './bindings/Setup'
import type { StoreStats } from './bindings/StoreStats'
import type { SyncStatus } from './bindings/SyncStatus'
import type { WireError } from './bindings/WireError'
import type { ExportedFile } from './bindings/ExportedFile'
import type { ItemCaseForm } from './bindings/ItemCaseForm'
import type { Meeting } from './bindings/Meeting'
import type { MeetingCommand } from './bindings/MeetingCommand'
import type { MeetingDetail } from './bindings/MeetingDetail'
import type { MeetingInfo } from './bindings/MeetingInfo'
import type { MeetingRow } from './bindings/MeetingRow'
import type { VisitorForm } from './bindings/VisitorForm'
import type { Dashboard } from './bindings/Dashboard'
import type { Earlier } from './bindings/Earlier'
import type { Dimension } from './bindings/Dimension'
import type { Figure } from './bindings/Figure'
import type { FigureQuery } from './bindings/FigureQuery'
import type { FigureSettings } from './bindings/FigureSettings'
import type { Desk } from './bindings/Desk'
import type { OverdueWatch } from './bindings/OverdueWatch'
import type { ImportMapping } from './bindings/ImportMapping'
import type { RememberedMapping } from './bindings/RememberedMapping'
import type { Draft } from './bindings/Draft'
import type { Suggestion } from './bindings/Suggestion'
import type { ImportPreview } from './bindings/ImportPreview'
import type { ImportReport } from './bindings/ImportReport'
import { TIMED_MS } from './timing'

export class JiesuError extends Error {
  readonly code: Code | 'ipc'
  readonly params: Record<string, string>
  constructor(code: Code | 'ipc', message: string, params: Record<string, string> = {}) {
    super(message)
    this.code = code
    this.params = params
  }
}

function isWireError(e: unknown): e is WireError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e
}

// Told when the core answers that nobody is signed in (the session idled out, or another
// window signed out): the app shows the sign-in screen instead of the refusal.
let signInRequired: () => void = () => {}
export function onSignInRequired(f: () => void) {
  signInRequired = f
}

async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p
  } catch (e) {
    if (isWireError(e)) {
      if (e.code === 'sign_in_required') signInRequired()
      throw new JiesuError(e.code, e.message, e.params ?? {})
    }
    // Tauri's own refusals (bad arguments, a command not granted) arrive as plain strings.
    throw new JiesuError('ipc', String(e))
  }
}

// Each command of the window's first half minute leaves a User Timing measure (`ipc <name>`,
// timing.ts).
async function timed<T>(cmd: string, p: Promise<T>): Promise<T> {
  const start = performance.now()
  if (start > TIMED_MS) return p
  try {
    return await p
  } finally {
    performance.measure(`ipc ${cmd}`, { start, end: performance.now() })
  }
}

const call = <T>(cmd: string, args?: Record<string, unknown>) => wrap(timed(cmd, invoke<T>(cmd, args)))

/** A command whose body is raw bytes (photos), with its metadata in headers. */
const callRaw = <T>(cmd: string, body: Uint8Array, headers: Record<string, string>) =>
  wrap(invoke<T>(cmd, body, { headers }))

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  caseCount: () => call<number>('case_count'),
  setup: (setup: Setup) => call<StoreStats>('setup', { setup }),
  catalog: () => call<Catalog>('catalog'),
  receiveCase: (input: NewCase) => call<Case>('receive_case', { input }),
  receiveFollowUp: (of: string, input: NewCase) => call<Case>('receive_follow_up', { of, input }),
  act: (caseId: string, command: CaseCommand) => call<Case>('act', { caseId, command }),
  caseDetail: (caseId: string) => call<CaseDetail>('case_detail', { caseId }),
  caseReceipt: (caseId: string) => call<CaseReceipt>('case_receipt', { caseId }),
  issueLookupCode: (caseId: string) => call<CaseReceipt>('issue_lookup_code', { caseId }),
  listCases: (query: CaseQuery) => call<CasePage>('list_cases', { query }),
  findResident: (phone: string) => call<ResidentHint | null>('find_resident', { phone }),
  saveAttachment: (name: string, data: Uint8Array) =>
    callRaw<Attachment>('save_attachment', data, { 'x-file-name': encodeURIComponent(name) }),
  attachment: (sha256: string) => call<ArrayBuffer>('attachment', { sha256 }),
  calendarYear: (year: number) => call<CalendarYear>('calendar_year', { year }),
  setCalendarDay: (date: string, working: boolean) => call<CalendarYear>('set_calendar_day', { date, working }),
  addUnit: (name: string) => call<Unit>('add_unit', { name }),
  signIn: (login: string, password: string) => call<Session>('sign_in', { login, password }),
  signOut: (idle: boolean) => call<void>('sign_out', { idle }),
  accounts: () => call<Account[]>('accounts'),
  addAccount: (account: NewAccount) => call<Account>('add_account', { account }),
  setRole: (account: string, role: Role) => call<void>('set_role', { account, role }),
  removeAccount: (account: string) => call<void>('remove_account', { account }),
  setPassword: (account: string, current: string | null, password: string) =>
    call<void>('set_password', { account, current, password }),
  setIdleMinutes: (minutes: number) => call<void>('set_idle_minutes', { minutes }),
  reveal: (caseId: string, field: PersonalField) => call<string>('reveal', { caseId, field }),
  accessLog: () => call<AccessRecord[]>('access_log'),
  verifyTrace: (stream: string) => call<TraceCheck>('verify_trace', { stream }),
  backupSettings: () => call<BackupSettings>('backup_settings'),
  setBackupSettings: (folder: string, keep: number) => call<null>('set_backup_settings', { folder, keep }),
  backupNow: () => call<BackupSummary>('backup_now'),
  backups: () => call<BackupSummary[]>('backups'),
  restoreBackup: (name: string, password: string) => call<BackupSummary>('restore_backup', { name, password }),
  recoverWithKey: (recoveryKey: string, login: string, newPassword: string) =>
    call<Session>('recover_with_key', { recoveryKey, login, newPassword }),
  inspectNewPcBackup: (path: string, login: string, password: string, recoveryKey: string | null) =>
    call<BackupSummary>('inspect_new_pc_backup', { path, login, password, recoveryKey }),
  restoreOnNewPc: (path: string, login: string, password: string, recoveryKey: string | null) =>
    call<Session>('restore_on_new_pc', { path, login, password, recoveryKey }),
  unsavedRecoveryKey: () => call<string | null>('unsaved_recovery_key'),
  recoveryKeySaved: () => call<null>('recovery_key_saved'),
  exportAccessLog: () => call<ExportedFile>('export_access_log'),
  syncStatus: () => call<SyncStatus>('sync_status'),
  enrol: (serverUrl: string, code: string) => call<SyncStatus>('enrol', { serverUrl, code }),
  unenrol: () => call<number>('unenrol'),
  syncNow: () => call<void>('sync_now'),
  restampFutureWork: () => call<number>('restamp_future_work'),
  configLog: () => call<TimelineEntry[]>('config_log'),
  listMeetings: () => call<MeetingRow[]>('list_meetings'),
  scheduleMeeting: (info: MeetingInfo) => call<Meeting>('schedule_meeting', { info }),
  meetingDetail: (meetingId: string) => call<MeetingDetail>('meeting_detail', { meetingId }),
  meetingAct: (meetingId: string, command: MeetingCommand) => call<Meeting>('meeting_act', { meetingId, command }),
  openItemCase: (meetingId: string, form: ItemCaseForm) => call<Case>('open_item_case', { meetingId, form }),
  captureVisitor: (meetingId: string, form: VisitorForm) => call<Case>('capture_visitor', { meetingId, form }),
  exportMinutes: (meetingId: string) => call<ExportedFile>('export_minutes', { meetingId }),
  exportIcs: (meetingId: string) => call<ExportedFile>('export_ics', { meetingId }),
  dashboard: (query: FigureQuery, trend: Dimension) => call<Dashboard>('dashboard', { query, trend }),
  earlierFigures: (query: FigureQuery) => call<Earlier>('earlier_figures', { query }),
  figureCases: (
    query: FigureQuery,
    figure: Figure,
    group: [Dimension, string] | null,
    page: number,
    pageSize: number,
  ) => call<CasePage>('figure_cases', { query, figure, group, page, pageSize }),
  exportReport: (query: FigureQuery) => call<ExportedFile>('export_report', { query }),
  exportFigureCsv: (query: FigureQuery, figure: Figure, group: [Dimension, string] | null) =>
    call<ExportedFile>('export_figure_csv', { query, figure, group }),
  exportListCsv: (query: CaseQuery) => call<ExportedFile>('export_list_csv', { query }),
  figureSettings: () => call<FigureSettings>('figure_settings'),
  setFigureSettings: (settings: FigureSettings) => call<FigureSettings>('set_figure_settings', { settings }),
  desk: () => call<Desk>('desk'),
  overdueWatch: (since: number) => call<OverdueWatch>('overdue_watch', { since }),
  notify: (title: string, body: string) => call<void>('notify', { title, body }),
  similarCases: (draft: Draft) => call<Suggestion[]>('similar_cases', { draft }),
  openImport: (name: string, data: Uint8Array) =>
    callRaw<ImportPreview>('open_import', data, { 'x-file-name': encodeURIComponent(name) }),
  previewImport: (mapping: ImportMapping) => call<ImportPreview>('preview_import', { mapping }),
  runImport: (mapping: ImportMapping) => call<ImportReport>('run_import', { mapping }),
  cancelImport: () => call<void>('cancel_import'),
  closeImport: () => call<void>('close_import'),
  exportImportReport: () => call<ExportedFile>('export_import_report'),
  importMappings: () => call<RememberedMapping[]>('import_mappings'),
  saveImportMapping: (source: string, mapping: ImportMapping) =>
    call<RememberedMapping>('save_import_mapping', { source, mapping }),
  forgetImportMapping: (source: string) => call<void>('forget_import_mapping', { source }),
  clusters: (days: number) => call<Cluster[]>('clusters', { days }),
  campaigns: () => call<CampaignSummary[]>('campaigns'),
  campaignBoard: (id: string) => call<CampaignBoard>('campaign_board', { id }),
  openCampaign: (form: NewCampaign) => call<CampaignSummary>('open_campaign', { form }),
  amendCampaign: (change: CampaignChange) => call<CampaignBoard>('amend_campaign', { change }),
  addCampaignSite: (site: NewSite) => call<Case>('add_campaign_site', { site }),
  joinCampaign: (caseId: string, campaign: string) => call<Case>('join_campaign', { caseId, campaign }),
  exportCampaign: (id: string) => call<ExportedFile>('export_campaign', { id }),
}
