// Fails when the window would show a raw message key: every static t('…') key used in
// src/ and every value of the enums shown through dynamic keys (t(`state.${s}`)) must exist
// in each catalogue. Enum values are read from the generated bindings, so a new Rust variant
// without a translation fails here.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const src = join(dirname(fileURLToPath(import.meta.url)), '../src')

async function catalogue(file) {
  const code = ts.transpileModule(readFileSync(join(src, 'i18n', file), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2021 },
  }).outputText
  return (await import('data:text/javascript,' + encodeURIComponent(code))).default
}

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) return f === 'bindings' || f === 'i18n' ? [] : files(p)
    return /\.(vue|ts)$/.test(f) ? [p] : []
  })
}

function has(messages, key) {
  return key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), messages) !== undefined
}

function enumValues(name) {
  const text = readFileSync(join(src, 'bindings', `${name}.ts`), 'utf8')
  // A tagged enum ({ "kind": "case_received", "payload": … }) lists its tags; a plain one its strings.
  const tagged = [...text.matchAll(/"kind": "([a-z0-9_]+)"/g)]
  return (tagged.length ? tagged : [...text.matchAll(/"([a-z0-9_]+)"/g)]).map((m) => m[1])
}

const keys = new Set()
for (const f of files(src)) {
  for (const m of readFileSync(f, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) keys.add(m[1])
}
const dynamic = {
  state: 'CaseState',
  action: 'Action',
  channel: 'Channel',
  urgency: 'Urgency',
  outcome: 'Outcome',
  satisfaction: 'Satisfaction',
  kind: 'EventBody',
  reasons: 'Reason',
  mkind: 'MeetingKind',
  role: 'AttendeeRole',
  minutes: 'MinutesState',
  item: 'ItemKind',
  letter: 'LetterStatus',
  via: 'MeetingCaseVia',
  figure: 'Figure',
}
for (const [prefix, type] of Object.entries(dynamic)) {
  for (const v of enumValues(type)) keys.add(`${prefix}.${v}`)
}

let missing = 0
for (const file of ['zh-CN.ts', 'zh-TW.ts', 'en.ts']) {
  const messages = await catalogue(file)
  for (const k of [...keys].sort()) {
    if (!has(messages, k)) {
      console.error(`${file}: missing message "${k}"`)
      missing++
    }
  }
}
console.log(`i18n: ${keys.size} keys checked in 3 catalogues, ${missing} missing`)
process.exit(missing ? 1 : 0)
