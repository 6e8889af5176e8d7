// A first sync over the CouchDB replication protocol, on the same events Jiesu's own first
// sync moves: the ratio issue 22 asks for, measured rather than remembered.
//
//   npm --prefix benches/pouchdb ci
//   node benches/pouchdb/replicate.mjs --store target/bench-encryption/plain/jiesu.db [--batch 1000]
//
// The events of a plain (unencrypted) Jiesu store, read with the sqlite3 command line, become
// one document each (id, stream, kind, the payload as JSON, clock, author, device, office,
// account, chain link, signature) in a server database served by express-pouchdb (PouchDB on
// LevelDB, the CouchDB HTTP API). A fresh PouchDB on LevelDB then replicates the whole
// database from it over HTTP on loopback, as a new office's PC would from its street: the
// time from the first request to the last document written is the measure. Loading the
// server is not measured.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const PouchDB = require('pouchdb-node')
const express = require('express')
const expressPouchDB = require('express-pouchdb')

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const STORE = opt('--store')
const BATCH = Number(opt('--batch', '1000'))
const LIMIT = opt('--limit')
if (!STORE) throw new Error('--store PATH: a plain Jiesu store (jiesu.db)')

const dir = mkdtempSync(join(tmpdir(), 'jiesu-pouchdb-'))
const ServerDB = PouchDB.defaults({ prefix: join(dir, 'server-') })

/** The store's events in log order, as documents, in batches of `n`. */
async function* eventDocs(n) {
  const sql = `SELECT id, stream, kind, payload, hlc_wall, hlc_counter, author, device, office, account, prev, sig
               FROM events ORDER BY seq${LIMIT ? ` LIMIT ${Number(LIMIT)}` : ''}`
  // -json prints one row a line: `[{…},` then `{…},` … `{…}]`.
  const proc = spawn('sqlite3', ['-readonly', '-json', STORE, sql], { stdio: ['ignore', 'pipe', 'inherit'] })
  let batch = []
  for await (const line of createInterface({ input: proc.stdout })) {
    const row = JSON.parse(line.replace(/^\[/, '').replace(/[,\]]$/, ''))
    batch.push({
      _id: row.id,
      stream: row.stream,
      kind: row.kind,
      payload: JSON.parse(row.payload),
      hlc: [row.hlc_wall, row.hlc_counter],
      author: row.author,
      device: row.device,
      office: row.office,
      account: row.account,
      prev: row.prev,
      sig: row.sig,
    })
    if (batch.length === n) {
      yield batch
      batch = []
    }
  }
  if (batch.length) yield batch
}

const source = new ServerDB('office')
let t = Date.now()
let loaded = 0
for await (const docs of eventDocs(5000)) {
  await source.bulkDocs(docs)
  loaded += docs.length
}
console.error(`server loaded: ${loaded} documents in ${((Date.now() - t) / 1000).toFixed(0)} s`)

const app = express()
app.use('/', expressPouchDB(ServerDB, { mode: 'minimumForPouchDB', logPath: join(dir, 'log.txt') }))
const server = await new Promise((ok) => {
  const s = app.listen(0, '127.0.0.1', () => ok(s))
})
const url = `http://127.0.0.1:${server.address().port}/office`

const target = new PouchDB(join(dir, 'client'))
t = Date.now()
const result = await PouchDB.replicate(url, target, { batch_size: BATCH, batches_limit: 10 })
const secs = (Date.now() - t) / 1000
const count = (await target.info()).doc_count
if (count !== loaded) throw new Error(`replicated ${count} of ${loaded} documents`)
console.log(
  `| CouchDB protocol (PouchDB ${PouchDB.version} ← express-pouchdb, LevelDB both sides, batch ${BATCH}) | ${loaded} documents | ${secs.toFixed(1)} s | ${(loaded / secs).toFixed(0)} documents/s |`,
)
console.error(`docs_written ${result.docs_written}`)
server.close()
await target.close()
await source.close()
rmSync(dir, { recursive: true, force: true })
