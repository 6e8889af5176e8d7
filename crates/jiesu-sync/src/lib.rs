//! # jiesu-sync
//!
//! The app's side of sync, over HTTP: [`Client`] speaks the `/v1` protocol of `jiesu-server`
//! with the message types of [`jiesu_core::wire`]; [`sync_round`] pushes the store's outbox
//! and pulls its office's feed through any [`Transport`] (tests wrap the client in one that
//! drops, duplicates and reorders requests); [`Syncer`] runs rounds in the background,
//! whenever the server is reachable, woken by the live channel, with backoff when it is not.
//!
//! The store is shared as `Arc<Mutex<Store>>` and locked only between network calls, never
//! across one, so the window never waits for the network.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use jiesu_core::store::BULK_APPLY_EVENTS;
mod enrol;
pub use enrol::{device_name, enrol};

use jiesu_core::wire::{
    EnrolRequest, EnrolResponse, FeedChanged, MAX_PULL_EVENTS, MAX_PUSH_EVENTS, Me, PullResponse,
    PushRequest, PushResponse,
};
use jiesu_core::{Code, CorrectedClock, Store, SyncProgress, SyncStatus, WireError};
use tokio::sync::{Notify, watch};

/// One HTTP connection's worth of server.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    credential: Option<String>,
}

fn offline(e: reqwest::Error) -> WireError {
    WireError::new(Code::Offline, format!("server not reachable: {e}"))
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8645`).
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            // zstd where the server offers it (it prefers it): a first sync's pages cost the
            // server a fraction of gzip's time to pack and the app of its time to unpack.
            .gzip(true)
            .zstd(true)
            .build()
            .expect("static client configuration");
        Client {
            http,
            base: base.trim().trim_end_matches('/').to_owned(),
            credential: None,
        }
    }

    /// The same client, authenticated as a device.
    pub fn with_credential(mut self, credential: &str) -> Client {
        self.credential = Some(credential.to_owned());
        self
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.credential {
            Some(c) => r.bearer_auth(c),
            None => r,
        }
    }

    async fn answer<T: serde::de::DeserializeOwned>(
        r: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, WireError> {
        let r = r.map_err(offline)?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(offline)?;
        if status.is_success() {
            serde_json::from_slice(&bytes).map_err(|e| {
                WireError::new(
                    Code::Server,
                    format!("unexpected answer from the server: {e}"),
                )
            })
        } else {
            Err(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                // Not our server (a proxy's error page, a wrong URL).
                let code = if status.is_server_error() {
                    Code::Server
                } else {
                    Code::InvalidInput
                };
                WireError::new(code, format!("HTTP {status} from the server"))
            }))
        }
    }

    /// Exchange a one-time code for a credential.
    pub async fn enrol(&self, req: &EnrolRequest) -> Result<EnrolResponse, WireError> {
        Self::answer(
            self.req(reqwest::Method::POST, "/v1/enrol")
                .json(req)
                .send()
                .await,
        )
        .await
    }

    /// Who the credential belongs to, and the directory.
    pub async fn me(&self) -> Result<Me, WireError> {
        Self::answer(self.req(reqwest::Method::GET, "/v1/me").send().await).await
    }

    /// Give up the credential.
    pub async fn unenrol(&self) -> Result<(), WireError> {
        Self::answer::<serde_json::Value>(
            self.req(reqwest::Method::POST, "/v1/unenrol").send().await,
        )
        .await
        .map(|_| ())
    }

    /// Server-sent `changed` notices, until the connection drops.
    pub async fn live(
        &self,
    ) -> Result<impl futures_util::Stream<Item = FeedChanged> + use<>, WireError> {
        let r = self
            .http
            .get(format!("{}/v1/live", self.base))
            .bearer_auth(self.credential.as_deref().unwrap_or_default())
            .timeout(Duration::from_secs(24 * 3600))
            .send()
            .await
            .map_err(offline)?;
        if !r.status().is_success() {
            return Err(Self::answer::<serde_json::Value>(Ok(r)).await.unwrap_err());
        }
        let mut buf = String::new();
        Ok(r.bytes_stream().flat_map(move |chunk| {
            let mut out = Vec::new();
            if let Ok(bytes) = chunk {
                buf.push_str(&String::from_utf8_lossy(&bytes));
                // SSE events end with a blank line; keep-alives are comment lines (":").
                while let Some(end) = buf.find("\n\n") {
                    let block: String = buf.drain(..end + 2).collect();
                    if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:"))
                        && let Ok(c) = serde_json::from_str::<FeedChanged>(data.trim())
                    {
                        out.push(c);
                    }
                }
            }
            futures_util::stream::iter(out)
        }))
    }
}

/// What a sync round needs from the network. [`Client`] is the real one.
pub trait Transport: Send + Sync {
    /// Upload a photo's bytes (content-addressed: uploading them again is harmless).
    fn put_attachment(
        &self,
        sha256: &str,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), WireError>> + Send;
    /// A photo's bytes; `None` while nobody has uploaded them.
    fn get_attachment(
        &self,
        sha256: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, WireError>> + Send;
    /// Push a batch.
    fn push(
        &self,
        req: &PushRequest,
    ) -> impl Future<Output = Result<PushResponse, WireError>> + Send;
    /// Pull a page.
    fn pull(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<PullResponse, WireError>> + Send;
}

impl Transport for Client {
    async fn put_attachment(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), WireError> {
        Self::answer::<serde_json::Value>(
            self.req(reqwest::Method::PUT, &format!("/v1/attachments/{sha256}"))
                .timeout(PHOTO_TIMEOUT)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(bytes)
                .send()
                .await,
        )
        .await
        .map(|_| ())
    }

    async fn get_attachment(&self, sha256: &str) -> Result<Option<Vec<u8>>, WireError> {
        let r = self
            .req(reqwest::Method::GET, &format!("/v1/attachments/{sha256}"))
            .timeout(PHOTO_TIMEOUT)
            .send()
            .await
            .map_err(offline)?;
        if r.status().is_success() {
            return Ok(Some(r.bytes().await.map_err(offline)?.to_vec()));
        }
        match Self::answer::<serde_json::Value>(Ok(r)).await {
            // No bytes yet (their office has not uploaded them), told apart from a failure.
            Err(e) if e.code == Code::NotFound => Ok(None),
            Err(e) => Err(e),
            Ok(_) => unreachable!("a failed status is never an answer"),
        }
    }

    async fn push(&self, req: &PushRequest) -> Result<PushResponse, WireError> {
        Self::answer(
            send_again_if_stale(|| self.req(reqwest::Method::POST, "/v1/push").json(req)).await,
        )
        .await
    }

    async fn pull(&self, after: i64, limit: u32) -> Result<PullResponse, WireError> {
        Self::answer(
            send_again_if_stale(|| {
                self.req(reqwest::Method::GET, "/v1/pull")
                    .query(&[("after", after.to_string()), ("limit", limit.to_string())])
            })
            .await,
        )
        .await
    }
}

/// Push and pull are idempotent (a push sent again gets the same receipts), so a request that
/// died on a pooled connection the server had already closed — it restarted, or a proxy
/// dropped the idle connection — goes once more on a fresh connection instead of failing the
/// round. A server that cannot be reached, or that timed out, is not asked twice.
async fn send_again_if_stale(
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, reqwest::Error> {
    match make().send().await {
        Err(e) if e.is_request() && !e.is_connect() && !e.is_timeout() => make().send().await,
        r => r,
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    /// Events pushed (acknowledged).
    pub pushed: usize,
    /// Events pulled that were new here.
    pub pulled: usize,
    /// The last server time seen (ms).
    pub server_time: i64,
    /// Photos uploaded.
    pub photos_up: usize,
    /// Photos fetched.
    pub photos_down: usize,
    /// Events of this device stamped again because the server found them ahead of its clock
    /// ([`Store::restamp_future_work_at`]).
    pub restamped: usize,
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

fn core(e: jiesu_core::Error) -> WireError {
    e.to_wire()
}

/// Push everything waiting, then pull until the feed is drained. Every step is its own
/// transaction in the store, so an interrupted round loses nothing and the next one resumes.
pub async fn sync_round<T: Transport>(
    store: &Arc<Mutex<Store>>,
    transport: &T,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<RoundReport, WireError> {
    let mut report = RoundReport::default();
    let mut restamped = false;
    // Offered with every push: a device enrolled before seals registers it with its first.
    let public_key = Some(lock(store).device_public_key().map_err(core)?);
    loop {
        let mut events = lock(store).outbox(MAX_PUSH_EVENTS as u32).map_err(core)?;
        if events.is_empty() {
            break;
        }
        // Keep each push well under the server's body limit, whatever the texts weigh; the
        // rest goes in the next batch.
        let mut bytes = 0;
        let fit = events
            .iter()
            .position(|e| {
                bytes += serde_json::to_vec(e).map_or(0, |v| v.len());
                bytes > PUSH_BYTES
            })
            .unwrap_or(events.len())
            .max(1);
        events.truncate(fit);
        // A case goes up after its photo, so whoever pulls the case can fetch the photo.
        for a in events.iter().filter_map(|e| e.body.attachment()) {
            // Read without holding the store: a photo is megabytes, and the window waits on
            // the store.
            let (path, key) = lock(store).photo_source(&a.sha256).map_err(core)?;
            let sha = a.sha256.clone();
            let read = move || jiesu_core::store::read_photo(&path, key.as_ref(), &sha);
            let bytes = match tokio::task::spawn_blocking(read).await {
                Ok(Ok(b)) => b,
                // Lost from this PC's disk: the case still goes up, without it.
                Ok(Err(jiesu_core::Error::NotFound { .. })) => continue,
                Ok(Err(e)) => return Err(core(e)),
                Err(_) => return Err(WireError::new(Code::Server, "sync was stopped")),
            };
            match transport.put_attachment(&a.sha256, bytes).await {
                Ok(()) => report.photos_up += 1,
                // Refused for what it is (bytes damaged on this disk, over the size limit):
                // trying again cannot help, and the work itself must not wait behind it.
                Err(e) if matches!(e.code, Code::InvalidInput | Code::TooLarge) => {}
                Err(e) => return Err(e),
            }
        }
        let n = events.len();
        let resp = match transport
            .push(&PushRequest {
                events,
                public_key: public_key.clone(),
            })
            .await
        {
            Ok(resp) => resp,
            // Work written while this PC's clock was ahead: nobody else has it, so it is
            // stamped again by the server's time (once a round) and the push goes again.
            Err(e) if e.code == Code::ClockAhead && !restamped => {
                restamped = true;
                let server_now = e.params.get("server_time").and_then(|v| v.as_i64());
                let mut st = lock(store);
                let now = server_now.unwrap_or_else(|| st.now_ms());
                match st.restamp_future_work_at(now).map_err(core)? {
                    Some(done) => {
                        report.restamped += done.events;
                        continue;
                    }
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        report.server_time = resp.server_time;
        lock(store).acknowledge(&resp.receipts).map_err(core)?;
        report.pushed += n;
    }
    let cursor = lock(store).pull_cursor().map_err(core)?;
    // Pages are fetched and decoded here while the store stores earlier ones on a thread of
    // its own: a first sync takes the longer of the two, not their sum.
    let (ahead, arrived) = tokio::sync::mpsc::channel(PAGES_AHEAD);
    let fetch = async move {
        let mut after = cursor;
        loop {
            let page = transport.pull(after, MAX_PULL_EVENTS).await;
            let last = match &page {
                Ok(p) => {
                    after = p.next;
                    !p.more
                }
                Err(_) => true,
            };
            // A closed channel: storing failed and the round is over.
            if ahead.send(page).await.is_err() || last {
                break;
            }
        }
    };
    let mut bulk = false;
    let apply = async {
        // Owned here, so a failure below closes the channel and stops the fetching.
        let mut arrived = arrived;
        let mut fetched: i64 = 0;
        while let Some(page) = arrived.recv().await {
            let mut batch = vec![page?];
            // A long backlog (a first sync) is stored first and folded once per case at the end.
            bulk |= batch[0].remaining > BULK_PULL;
            // What has arrived meanwhile is stored in the same transaction, up to a bound: a
            // commit writes out every page of the log's indexes it touched, and a first
            // sync's events touch them all over (`jiesu_core::store::BULK_APPLY_EVENTS`).
            let mut failed = None;
            let mut events = batch[0].events.len();
            while events < BULK_APPLY_EVENTS && batch.last().is_some_and(|p| p.more) {
                match arrived.try_recv() {
                    Ok(Ok(p)) => {
                        events += p.events.len();
                        batch.push(p);
                    }
                    Ok(Err(e)) => {
                        failed = Some(e);
                        break;
                    }
                    Err(_) => break,
                }
            }
            let page = join_pages(batch);
            let (page, applied) = on_store(store, move |s| {
                let applied = match bulk {
                    true => s.apply_pull_bulk(&page),
                    false => s.apply_pull(&page),
                };
                (page, applied)
            })
            .await?;
            report.pulled += applied.map_err(core)?;
            report.server_time = page.server_time;
            fetched += page.events.len() as i64;
            if let Some(e) = failed {
                return Err(e);
            }
            if !page.more {
                return Ok(());
            }
            progress(SyncProgress {
                done: fetched,
                total: fetched + page.remaining,
            });
        }
        Ok(())
    };
    let ((), pulled) = tokio::join!(fetch, apply);
    // Fold what a bulk pull stored even when the round broke off: the window must not show
    // a half-folded store until the next round.
    if bulk {
        on_store(store, |s| s.settle()).await?.map_err(core)?;
    }
    pulled?;
    lock(store).record_sync(report.server_time).map_err(core)?;
    report.photos_down = fetch_attachments(store, transport, PHOTOS_PER_ROUND).await?;
    Ok(report)
}

/// Tell servers of the credentials this store gave up while they could not be reached
/// ([`Store::unenrol`] works offline). Returns how many are still to be told.
pub async fn deliver_revokes(store: &Arc<Mutex<Store>>) -> Result<usize, WireError> {
    let pending = lock(store).pending_revokes().map_err(core)?;
    let mut left = 0;
    for p in pending {
        match Client::new(&p.server_url)
            .with_credential(&p.credential)
            .unenrol()
            .await
        {
            Ok(()) => lock(store).revoke_delivered(&p.credential).map_err(core)?,
            // Refused as unknown: an administrator revoked it meanwhile. Either way the
            // server no longer honours it.
            Err(e) if e.code == Code::Unauthorized => {
                lock(store).revoke_delivered(&p.credential).map_err(core)?
            }
            Err(_) => left += 1,
        }
    }
    Ok(left)
}

/// Fetch up to `limit` of the photos the store wants; returns how many arrived. A photo the
/// server does not have yet, or refuses, is tried again in a later round, after the others.
pub async fn fetch_attachments<T: Transport>(
    store: &Arc<Mutex<Store>>,
    transport: &T,
    limit: u32,
) -> Result<usize, WireError> {
    let wanted = lock(store).attachments_to_fetch(limit).map_err(core)?;
    let mut arrived = 0;
    for sha in wanted {
        match fetch_attachment(store, transport, &sha).await {
            Ok(Some(_)) => arrived += 1,
            Err(e) if e.code == Code::Offline => return Err(e),
            Ok(None) | Err(_) => lock(store).attachment_not_yet_served(&sha).map_err(core)?,
        }
    }
    Ok(arrived)
}

/// A photo's bytes for the window: from this PC's disk, or, for a case from another office
/// whose photo has not arrived yet, from the server at once. "Not found" while it is on
/// neither (or this PC is not enrolled); "offline" when the server cannot be reached.
pub async fn attachment(store: &Arc<Mutex<Store>>, sha256: &str) -> Result<Vec<u8>, WireError> {
    let (missing, enrolment) = {
        let st = lock(store);
        match st.read_attachment(sha256) {
            Ok(bytes) => return Ok(bytes),
            Err(e @ jiesu_core::Error::NotFound { .. }) => (e, st.enrolment().map_err(core)?),
            Err(e) => return Err(core(e)),
        }
    };
    let Some(enrolment) = enrolment else {
        return Err(core(missing));
    };
    let client = Client::new(&enrolment.server_url).with_credential(&enrolment.credential);
    fetch_attachment(store, &client, sha256)
        .await?
        .ok_or_else(|| core(missing))
}

/// Fetch one photo from the server and keep it. `None` while its author's office has not
/// uploaded it.
pub async fn fetch_attachment<T: Transport>(
    store: &Arc<Mutex<Store>>,
    transport: &T,
    sha256: &str,
) -> Result<Option<Vec<u8>>, WireError> {
    let Some(bytes) = transport.get_attachment(sha256).await? else {
        return Ok(None);
    };
    lock(store)
        .keep_fetched_attachment(sha256, &bytes)
        .map_err(core)?;
    Ok(Some(bytes))
}

/// Consecutive pages as one: their events in order, the last one's cursor and counts.
fn join_pages(mut pages: Vec<PullResponse>) -> PullResponse {
    let mut last = pages.pop().expect("at least one page");
    if !pages.is_empty() {
        let mut events = Vec::new();
        for p in pages {
            events.extend(p.events);
            last.keys.extend(p.keys);
        }
        events.append(&mut last.events);
        last.events = events;
    }
    last
}

/// Run `f` on the store on a blocking thread: storing and folding a first sync take
/// seconds, and the runtime's worker (the next page's fetch, the live channel) goes on.
async fn on_store<R: Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> R + Send + 'static,
) -> Result<R, WireError> {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || f(&mut lock(&store))).await {
        Ok(r) => Ok(r),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(WireError::new(Code::Server, "sync was stopped")),
    }
}

/// Pages fetched ahead of the store: with a batch being stored, at most this many more are
/// held in memory (a page is at most `MAX_PULL_EVENTS` events).
const PAGES_AHEAD: usize = BULK_APPLY_EVENTS / MAX_PULL_EVENTS as usize;

/// Photos fetched per round at most: a street's first sync may want thousands, and they
/// come a few at a time between rounds instead of holding up the next push.
pub const PHOTOS_PER_ROUND: u32 = 16;

/// Time for one photo over a slow office line (20 MB at 1 Mbit/s is under three minutes).
const PHOTO_TIMEOUT: Duration = Duration::from_secs(600);

/// Most JSON bytes of events one push carries (the server accepts 4 MiB bodies).
pub const PUSH_BYTES: usize = 1024 * 1024;

/// A pull backlog longer than this is applied in bulk (see `Store::apply_pull_bulk`).
pub const BULK_PULL: i64 = 10_000;

/// How often to sync when nothing wakes the task.
pub const POLL: Duration = Duration::from_secs(30);
/// Longest wait between attempts while the server is unreachable.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The background sync task's handle.
#[derive(Clone)]
pub struct Syncer {
    wake: Arc<Notify>,
    status: watch::Receiver<SyncStatus>,
    on_data: Arc<dyn Fn() + Send + Sync>,
}

impl Syncer {
    /// Start syncing `store` in the background (on the current tokio runtime). `on_data` is
    /// called after a round brought new events, so the window can refresh.
    pub fn spawn(
        store: Arc<Mutex<Store>>,
        clock: CorrectedClock,
        on_data: Arc<dyn Fn() + Send + Sync>,
    ) -> Syncer {
        let initial = lock(&store)
            .sync_status()
            .unwrap_or_else(|_| empty_status());
        let (tx, rx) = watch::channel(initial);
        let wake = Arc::new(Notify::new());
        tokio::spawn(run(store, clock, tx, wake.clone(), on_data.clone()));
        Syncer {
            wake,
            status: rx,
            on_data,
        }
    }

    /// Say that the data changed here (a command wrote), as a round that pulled events does:
    /// the window has one notification to follow, whoever wrote.
    pub fn data_changed(&self) {
        (self.on_data)();
    }

    /// Sync now ("sync now", a new local event, an enrolment).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Status changes, for pushing to the window.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }
}

fn empty_status() -> SyncStatus {
    SyncStatus {
        enrolled: false,
        server_url: String::new(),
        office: None,
        waiting: 0,
        last_sync: None,
        online: false,
        syncing: false,
        progress: None,
        error: None,
        clock_offset_ms: 0,
        future_events: 0,
    }
}

async fn run(
    store: Arc<Mutex<Store>>,
    clock: CorrectedClock,
    status: watch::Sender<SyncStatus>,
    wake: Arc<Notify>,
    on_data: Arc<dyn Fn() + Send + Sync>,
) {
    let mut backoff = Duration::from_secs(1);
    let mut live: Option<(String, tokio::task::JoinHandle<()>)> = None;
    let mut directory_at: Option<std::time::Instant> = None;
    loop {
        let revokes_left = deliver_revokes(&store).await.unwrap_or(1);
        let enrolment = lock(&store).enrolment().ok().flatten();
        let publish = |f: &dyn Fn(&mut SyncStatus)| {
            let base = lock(&store).sync_status().ok();
            status.send_modify(|s| {
                if let Some(b) = &base {
                    s.enrolled = b.enrolled;
                    s.server_url = b.server_url.clone();
                    s.office = b.office.clone();
                    s.waiting = b.waiting;
                    s.last_sync = b.last_sync;
                    s.future_events = b.future_events;
                }
                s.clock_offset_ms = clock.offset_ms();
                f(s)
            });
        };
        let Some(enrolment) = enrolment else {
            if let Some((_, h)) = live.take() {
                h.abort();
            }
            directory_at = None;
            publish(&|s| {
                s.online = false;
                s.error = None;
                s.progress = None;
            });
            if revokes_left == 0 {
                wake.notified().await;
            } else {
                // A server still to be told that this PC left it: try again until it hears.
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            continue;
        };
        let client = Client::new(&enrolment.server_url).with_credential(&enrolment.credential);
        // One live connection per enrolment; it wakes this loop when the feed grows.
        if live.as_ref().map(|(c, _)| c) != Some(&enrolment.credential) {
            if let Some((_, h)) = live.take() {
                h.abort();
            }
            live = Some((
                enrolment.credential.clone(),
                tokio::spawn(listen(client.clone(), wake.clone())),
            ));
        }
        publish(&|s| s.syncing = true);
        let refresh_directory = directory_at.is_none_or(|t| t.elapsed() > Duration::from_secs(600));
        let result = async {
            if refresh_directory {
                let me = client.me().await?;
                let pc = clock.pc_now_ms();
                let offset = me.server_time - pc;
                clock.set_offset_ms(offset);
                let mut st = lock(&store);
                st.set_directory(&me.directory).map_err(core)?;
                st.set_clock_offset(offset, pc).map_err(core)?;
                drop(st);
            }
            let st = status.clone();
            let progress = move |p: SyncProgress| st.send_modify(|s| s.progress = Some(p));
            sync_round(&store, &client, &progress).await
        }
        .await;
        let wait = match result {
            Ok(report) => {
                if refresh_directory {
                    directory_at = Some(std::time::Instant::now());
                }
                if report.server_time > 0 {
                    let pc = clock.pc_now_ms();
                    let offset = report.server_time - pc;
                    clock.set_offset_ms(offset);
                    // Kept for a restart while the server is out of reach.
                    let _ = lock(&store).set_clock_offset(offset, pc);
                }
                backoff = Duration::from_secs(1);
                publish(&|s| {
                    s.online = true;
                    s.syncing = false;
                    s.progress = None;
                    s.error = None;
                });
                if report.pulled > 0
                    || report.pushed > 0
                    || report.photos_down > 0
                    || report.restamped > 0
                {
                    on_data();
                }
                if report.photos_down == PHOTOS_PER_ROUND as usize {
                    // More photos are waiting: the next few after a breath, not in 30 s.
                    Duration::from_secs(1)
                } else {
                    POLL
                }
            }
            Err(e) => {
                let reached = e.code != Code::Offline;
                publish(&|s| {
                    s.online = reached;
                    s.syncing = false;
                    s.progress = None;
                    s.error = Some(e.clone());
                });
                let w = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                // A little jitter so a street's offices do not retry in lockstep.
                w + Duration::from_millis(rand::random_range(0..500))
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn listen(client: Client, wake: Arc<Notify>) {
    let mut backoff = Duration::from_secs(1);
    loop {
        if let Ok(mut stream) = client.live().await {
            backoff = Duration::from_secs(1);
            while stream.next().await.is_some() {
                wake.notify_one();
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
