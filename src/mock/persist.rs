//! `--state-file`: the store survives restarts, crashes and `kill -9`, and saving a change costs
//! what the clusters it touched cost, not what the whole store costs.
//!
//! The state file is a snapshot followed by a journal:
//!
//! ```text
//! {                                         <- the snapshot: the whole store, pretty JSON, the
//!   "account": {...},                          format the state file has always had
//!   "clusters": [...], "tags": [...], "serial": 12
//! }
//! {"serial":13,"clusters":[{...}]}          <- one line per saved change (a StoreDelta): the
//! {"serial":14,"deleted":["9cc1..."]}          clusters it touched, whole, or their IDs if gone
//! ```
//!
//! - Saving appends one line to the file. The gateway saves before it answers, so a change
//!   whose answer was sent is in the file (the kernel has it) even if the emulator is killed
//!   right after: `kill -9` loses nothing. A background flusher then brings the file to disk
//!   (fdatasync), at most one at a time, again as long as lines keep coming, so only an OS
//!   crash or power loss within about a millisecond of an answer can lose it. Requests that
//!   finish while a line is being written are saved together by the next write (group commit).
//! - Loading replays the lines on the snapshot. A last line cut short by a crash, or anything
//!   unreadable after the last good line, is dropped (the file is truncated there, with a
//!   warning); an unreadable line with good ones after it is corruption, and an error.
//! - When the journal would outgrow the snapshot (and [`MIN_JOURNAL_BYTES`]), the save writes a
//!   new snapshot instead, atomically: `<name>.tmp-<pid>` beside the state file, fsynced, renamed
//!   over it, the directory fsynced. The journal so stays about as small as the snapshot, and
//!   snapshots cost O(1) amortised per byte journaled. A reset is saved as a snapshot too.
//! - A clean shutdown (the end of the emulator's [`super::app::App`]) folds the journal into a
//!   snapshot, so a stopped emulator leaves one JSON document, which emulators that predate the
//!   journal read as well. A `<name>.tmp-*` left by a crash during a snapshot is removed at start.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::{bail, Context as _};

use super::store::{Changes, Replay, Store, StoreData, StoreDelta};

/// The journal may grow as large as the snapshot; a small store's journal may grow to this.
const MIN_JOURNAL_BYTES: u64 = 64 * 1024;

pub struct Persister {
    path: PathBuf,
    /// Held across a write, so that changes reach the file in the order they were taken.
    journal: tokio::sync::Mutex<Journal>,
    /// The background fdatasync of appended lines.
    flusher: Arc<Flusher>,
}

/// Lines appended and whether a flusher is running; see [`Flusher::appended`].
#[derive(Debug, Default)]
struct Flusher {
    appended: AtomicU64,
    running: AtomicBool,
}

impl Flusher {
    /// Notes a line appended to `file` and makes sure a flusher will sync it: the running one
    /// syncs again when lines came in during its sync, otherwise a new one is started.
    fn appended(self: &Arc<Self>, file: &File) {
        self.appended.fetch_add(1, Ordering::SeqCst);
        if self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(file) = file.try_clone() else {
            self.running.store(false, Ordering::SeqCst);
            return;
        };
        let flusher = Arc::clone(self);
        std::thread::spawn(move || loop {
            let target = flusher.appended.load(Ordering::SeqCst);
            if let Err(error) = file.sync_data() {
                tracing::warn!(error = %error, "dbaas-mock could not flush its state file to disk");
            }
            flusher.running.store(false, Ordering::SeqCst);
            // More lines since this sync began: sync again, unless a new flusher took over.
            if flusher.appended.load(Ordering::SeqCst) == target
                || flusher.running.swap(true, Ordering::SeqCst)
            {
                return;
            }
        });
    }
}

#[derive(Debug, Default)]
struct Journal {
    /// The state file as this process last wrote it, open for appending. `None` until the
    /// first snapshot when the file is missing or ends without a newline (an older emulator's),
    /// and after a failed or abandoned write.
    file: Option<File>,
    /// Set while a write is under way and after it failed: the file may lack changes that were
    /// taken from the store, so the next save writes a snapshot whatever changed.
    stale: bool,
    snapshot_bytes: u64,
    journal_bytes: u64,
}

impl Journal {
    fn has_room_for(&self, line: &[u8]) -> bool {
        self.journal_bytes + line.len() as u64 <= self.snapshot_bytes.max(MIN_JOURNAL_BYTES)
    }
}

/// What one save writes: a line appended to the open file, or a new snapshot.
enum Save {
    Append(File, Vec<u8>),
    Snapshot(Vec<u8>),
}

/// How many bytes a save wrote, and where.
enum Written {
    Line(usize),
    Snapshot(usize),
}

impl Persister {
    /// Opens the state file: removes temporary files a crash left, and loads the snapshot and
    /// the journal after it. The data is `None` when the file does not exist yet.
    pub fn open(path: PathBuf) -> anyhow::Result<(Persister, Option<StoreData>)> {
        remove_leftovers(&path);
        let (journal, data) = match fs::read(&path) {
            Ok(bytes) => {
                let (journal, data) = load(&path, &bytes)?;
                (journal, Some(data))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Journal::default(), None),
            Err(e) => {
                return Err(e).with_context(|| format!("reading state file {}", path.display()))
            }
        };
        let persister = Persister {
            path,
            journal: tokio::sync::Mutex::new(journal),
            flusher: Arc::default(),
        };
        Ok((persister, data))
    }

    /// Saves what changed in the store since the last save, if anything did. Returns once it
    /// is in the file (on disk shortly after, see [`Flusher`]).
    pub async fn save(&self, store: &Mutex<Store>) -> anyhow::Result<()> {
        let mut journal = self.journal.lock().await;
        // From here until the write succeeds, the taken changes are only in memory.
        let was_stale = std::mem::replace(&mut journal.stale, true);
        let save = {
            let mut store = lock(store);
            let delta = match store.take_changes() {
                Changes::Nothing if !was_stale => {
                    journal.stale = false;
                    return Ok(());
                }
                Changes::Delta(delta) if !was_stale => Some(encode_line(&delta)?),
                Changes::Nothing | Changes::Delta(_) | Changes::Everything => None,
            };
            match (delta, journal.file.take()) {
                (Some(line), Some(file)) if journal.has_room_for(&line) => Save::Append(file, line),
                _ => Save::Snapshot(encode_snapshot(&store.data)?),
            }
        };
        let path = self.path.clone();
        let written_len = journal.snapshot_bytes + journal.journal_bytes;
        let (file, written) = blocking(move || match save {
            Save::Append(file, line) => {
                let file = append(&path, file, &line, written_len)?;
                Ok((file, Written::Line(line.len())))
            }
            Save::Snapshot(bytes) => {
                let file = write_snapshot(&path, &bytes)?;
                Ok((file, Written::Snapshot(bytes.len())))
            }
        })
        .await?;
        match written {
            Written::Line(bytes) => {
                journal.journal_bytes += bytes as u64;
                self.flusher.appended(&file);
            }
            Written::Snapshot(bytes) => {
                journal.snapshot_bytes = bytes as u64;
                journal.journal_bytes = 0;
            }
        }
        journal.file = Some(file);
        journal.stale = false;
        Ok(())
    }

    /// At a clean shutdown: folds the journal and anything unsaved into a snapshot, unless
    /// another process replaced the file in the meantime.
    pub fn close(&mut self, store: &mut Store) -> anyhow::Result<()> {
        let journal = self.journal.get_mut();
        let changes = store.take_changes();
        if journal.journal_bytes == 0 && !journal.stale && matches!(changes, Changes::Nothing) {
            return Ok(());
        }
        if let Some(file) = &journal.file {
            let written_len = journal.snapshot_bytes + journal.journal_bytes;
            if !still_ours(&self.path, file, written_len) {
                tracing::warn!(
                    path = %self.path.display(),
                    "dbaas-mock leaves its state file as it is: another process changed it"
                );
                return Ok(());
            }
        }
        let bytes = encode_snapshot(&store.data)?;
        journal.file = Some(write_snapshot(&self.path, &bytes)?);
        journal.snapshot_bytes = bytes.len() as u64;
        journal.journal_bytes = 0;
        journal.stale = false;
        Ok(())
    }
}

/// Runs file I/O that the answer waits for. On a multi-threaded runtime (the binary's) it runs
/// on this thread, which hands its other tasks to another worker meanwhile: a hand-over to a
/// blocking-pool thread and back would add two thread wake-ups to every save.
async fn blocking<T: Send + 'static>(
    io: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        tokio::task::block_in_place(io)
    } else {
        tokio::task::spawn_blocking(io)
            .await
            .context("state file writer panicked")?
    }
}

fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

fn encode_snapshot(data: &StoreData) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(data).context("encoding the store")?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn encode_line(delta: &StoreDelta) -> anyhow::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(delta).context("encoding a change")?;
    line.push(b'\n');
    Ok(line)
}

/// The snapshot and the journal of a state file's bytes, replayed into one store.
fn load(path: &Path, bytes: &[u8]) -> anyhow::Result<(Journal, StoreData)> {
    let not_a_state = || format!("state file {} is not a dbaas-mock state", path.display());
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<StoreData>();
    let data = match values.next() {
        Some(data) => data.with_context(not_a_state)?,
        None => bail!("{}: it is empty", not_a_state()),
    };
    let snapshot_end = values.byte_offset();
    let mut replay = Replay::new(data);
    let scan = scan_journal(&bytes[snapshot_end..], |delta| replay.apply(delta))
        .with_context(|| format!("state file {} is corrupt", path.display()))?;
    let snapshot_bytes = (snapshot_end + scan.snapshot_tail) as u64;
    let good_end = snapshot_end + scan.good_end;
    if good_end < bytes.len() {
        tracing::warn!(
            path = %path.display(),
            dropped_bytes = bytes.len() - good_end,
            "dbaas-mock dropped the unreadable end of its state file (a write cut short)"
        );
        truncate(path, good_end as u64)
            .with_context(|| format!("truncating state file {}", path.display()))?;
    }
    // Lines can only follow a newline: a file without one is rewritten before anything is
    // appended to it.
    let file = if bytes[..good_end].ends_with(b"\n") {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("opening state file {}", path.display()))?;
        Some(file)
    } else {
        None
    };
    let journal = Journal {
        file,
        stale: false,
        snapshot_bytes,
        journal_bytes: (good_end as u64).saturating_sub(snapshot_bytes),
    };
    Ok((journal, replay.finish()))
}

/// Where the readable part of a journal ends.
#[derive(Debug, PartialEq, Eq)]
struct Scan {
    /// Bytes of the rest of the snapshot's last line, its newline included (0 without one).
    snapshot_tail: usize,
    /// Bytes up to the end of the last good line.
    good_end: usize,
}

/// Reads the journal (what follows the snapshot), passing each change to `apply`. It stops at
/// the first unreadable line: if a readable change follows, that is corruption, not a write
/// cut short, and an error.
fn scan_journal(journal: &[u8], mut apply: impl FnMut(StoreDelta)) -> anyhow::Result<Scan> {
    let blank = |bytes: &[u8]| bytes.iter().all(u8::is_ascii_whitespace);
    let mut lines = journal.split_inclusive(|&b| b == b'\n');
    // The first line is the rest of the snapshot's last one.
    let snapshot_tail = match lines.next() {
        Some(tail) if blank(tail) => tail.len(),
        Some(_) => {
            refuse_if_changes_follow(lines, 0)?;
            return Ok(Scan {
                snapshot_tail: 0,
                good_end: 0,
            });
        }
        None => 0,
    };
    let mut good_end = snapshot_tail;
    let mut number = 0;
    while let Some(line) = lines.next() {
        number += 1;
        let complete = line.ends_with(b"\n");
        if complete && blank(line) {
            good_end += line.len();
            continue;
        }
        match serde_json::from_slice::<StoreDelta>(line) {
            Ok(delta) if complete => {
                apply(delta);
                good_end += line.len();
            }
            _ => {
                refuse_if_changes_follow(lines, number)?;
                break;
            }
        }
    }
    Ok(Scan {
        snapshot_tail,
        good_end,
    })
}

fn refuse_if_changes_follow<'a>(
    mut later: impl Iterator<Item = &'a [u8]>,
    unreadable: usize,
) -> anyhow::Result<()> {
    if later.any(|line| serde_json::from_slice::<StoreDelta>(line).is_ok()) {
        bail!("line {unreadable} after the snapshot is unreadable, and changes follow it");
    }
    Ok(())
}

fn truncate(path: &Path, len: u64) -> std::io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_all()
}

fn append(path: &Path, file: File, line: &[u8], written_len: u64) -> anyhow::Result<File> {
    let result = (&file).write_all(line);
    if let Err(error) = result {
        // Best effort: leave no half line for the snapshot that comes next to replace.
        let _ = file.set_len(written_len);
        return Err(error).with_context(|| format!("appending to state file {}", path.display()));
    }
    Ok(file)
}

/// Replaces the state file with `bytes` atomically; returns the new file, open for appending.
fn write_snapshot(path: &Path, bytes: &[u8]) -> anyhow::Result<File> {
    let temporary = temporary_path(path)?;
    let result = (|| -> std::io::Result<File> {
        match fs::remove_file(&temporary) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&temporary)?;
        (&file).write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        File::open(directory_of(path))?.sync_all()?;
        Ok(file)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.with_context(|| format!("writing state file {}", path.display()))
}

fn temporary_path(path: &Path) -> anyhow::Result<PathBuf> {
    let file_name = path
        .file_name()
        .with_context(|| format!("state file {} has no file name", path.display()))?;
    let mut temporary_name = file_name.to_os_string();
    temporary_name.push(format!(".tmp-{}", std::process::id()));
    Ok(path.with_file_name(temporary_name))
}

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Removes the `<name>.tmp-*` files that a crash during a snapshot left beside the state file.
fn remove_leftovers(path: &Path) {
    let Some(name) = path.file_name() else {
        return;
    };
    let prefix = format!("{}.tmp-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(directory_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let leftover = entry.path();
        match fs::remove_file(&leftover) {
            Ok(()) => tracing::info!(
                file = %leftover.display(),
                "dbaas-mock removed a temporary state file left by an interrupted write"
            ),
            Err(error) => tracing::warn!(
                file = %leftover.display(),
                error = %error,
                "dbaas-mock could not remove a temporary state file left by an interrupted write"
            ),
        }
    }
}

/// Whether the file at `path` is still the one this process wrote, as long as it left it.
fn still_ours(path: &Path, file: &File, written_len: u64) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (fs::metadata(path), file.metadata()) {
        (Ok(on_disk), Ok(ours)) => {
            on_disk.dev() == ours.dev()
                && on_disk.ino() == ours.ino()
                && on_disk.len() == written_len
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::store::sample_cluster;

    fn store_with(path: &Path) -> (Persister, Mutex<Store>) {
        let (persister, data) = Persister::open(path.to_path_buf()).unwrap();
        let mut store = match data {
            Some(data) => Store::from_data(data, Some(3)),
            None => Store::new(Some(3)),
        };
        store.track_changes();
        (persister, Mutex::new(store))
    }

    fn create(store: &Mutex<Store>, id: &str) {
        let mut store = lock(store);
        store.data.clusters.push(sample_cluster(id));
        store.touch();
    }

    fn loaded(path: &Path) -> StoreData {
        Persister::open(path.to_path_buf()).unwrap().1.unwrap()
    }

    fn ids(data: &StoreData) -> Vec<&str> {
        data.clusters.iter().map(|c| c.id.as_str()).collect()
    }

    /// The snapshot and the journal lines of a state file.
    fn parts(path: &Path) -> (serde_json::Value, Vec<String>) {
        let text = fs::read_to_string(path).unwrap();
        let mut values = serde_json::Deserializer::from_str(&text).into_iter();
        let snapshot = values.next().unwrap().unwrap();
        let rest = &text[values.byte_offset()..];
        (snapshot, rest.lines().skip(1).map(str::to_string).collect())
    }

    #[tokio::test]
    async fn changes_are_journaled_and_replayed_on_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (persister, store) = store_with(&path);
        persister.save(&store).await.unwrap();
        assert!(!path.exists(), "nothing changed, nothing written");

        create(&store, "a");
        persister.save(&store).await.unwrap();
        let (snapshot, lines) = parts(&path);
        assert_eq!(
            snapshot["clusters"][0]["id"], "a",
            "the first save is a snapshot"
        );
        assert!(lines.is_empty());

        create(&store, "b");
        persister.save(&store).await.unwrap();
        lock(&store).cluster_mut("a").unwrap().num_nodes = 3;
        persister.save(&store).await.unwrap();
        {
            let mut store = lock(&store);
            store.data.clusters.retain(|c| c.id != "b");
            store.touch();
        }
        persister.save(&store).await.unwrap();
        persister.save(&store).await.unwrap();
        let (snapshot, lines) = parts(&path);
        assert_eq!(snapshot["clusters"].as_array().unwrap().len(), 1);
        assert_eq!(lines.len(), 3, "one line per change: {lines:?}");
        assert!(lines[2].contains("\"deleted\":[\"b\"]"), "{}", lines[2]);

        let data = loaded(&path);
        assert_eq!(data, lock(&store).data);
        assert_eq!(ids(&data), ["a"]);
        assert_eq!(data.clusters[0].num_nodes, 3);
    }

    #[tokio::test]
    async fn a_cut_short_last_line_is_dropped_and_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (persister, store) = store_with(&path);
        for id in ["a", "b", "c"] {
            create(&store, id);
            persister.save(&store).await.unwrap();
        }
        let whole = fs::read(&path).unwrap();
        let mut torn = whole.clone();
        torn.extend_from_slice(b"{\"serial\":9,\"clusters\":[{\"id\":\"d\"");
        fs::write(&path, &torn).unwrap();
        assert_eq!(ids(&loaded(&path)), ["a", "b", "c"]);
        assert_eq!(fs::read(&path).unwrap(), whole, "the torn part is cut off");

        fs::write(&path, [&whole[..], b"garbage\n\0\0\0"].concat()).unwrap();
        assert_eq!(ids(&loaded(&path)), ["a", "b", "c"]);

        // Appending after the truncation yields a file that loads whole.
        let (persister, store) = store_with(&path);
        create(&store, "d");
        persister.save(&store).await.unwrap();
        assert_eq!(ids(&loaded(&path)), ["a", "b", "c", "d"]);
    }

    #[tokio::test]
    async fn an_unreadable_line_before_good_ones_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (persister, store) = store_with(&path);
        for id in ["a", "b", "c"] {
            create(&store, id);
            persister.save(&store).await.unwrap();
        }
        let text = fs::read_to_string(&path).unwrap();
        let (_, lines) = parts(&path);
        assert_eq!(lines.len(), 2);
        let corrupt = text.replacen(&lines[0], "{\"serial\":", 1);
        fs::write(&path, corrupt).unwrap();
        let error = Persister::open(path.clone())
            .err()
            .expect("corruption is refused");
        assert!(format!("{error:#}").contains("corrupt"), "{error:#}");
    }

    #[tokio::test]
    async fn an_older_emulators_file_loads_and_is_rewritten_at_the_first_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut old = Store::new(Some(3));
        old.data.clusters.push(sample_cluster("old"));
        fs::write(&path, serde_json::to_vec_pretty(&old.data).unwrap()).unwrap();

        let (persister, store) = store_with(&path);
        assert_eq!(lock(&store).data, old.data);
        create(&store, "new");
        persister.save(&store).await.unwrap();
        let (snapshot, lines) = parts(&path);
        assert!(
            lines.is_empty(),
            "no line is appended to a file without a newline"
        );
        assert_eq!(snapshot["clusters"][1]["id"], "new");
        assert_eq!(ids(&loaded(&path)), ["old", "new"]);
    }

    #[tokio::test]
    async fn the_journal_is_compacted_once_it_outgrows_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (persister, store) = store_with(&path);
        create(&store, "a");
        persister.save(&store).await.unwrap();
        let mut longest = 0;
        for n in 0..200 {
            lock(&store).cluster_mut("a").unwrap().tags = vec![format!("{n:0>1000}")];
            persister.save(&store).await.unwrap();
            longest = longest.max(fs::metadata(&path).unwrap().len());
        }
        let (snapshot, lines) = parts(&path);
        assert!(lines.len() < 200, "compacted: {} lines", lines.len());
        assert!(longest < 2 * MIN_JOURNAL_BYTES, "bounded: {longest} bytes");
        let expected = lock(&store).data.clone();
        assert_eq!(loaded(&path), expected);
        assert!(snapshot["clusters"][0]["tags"][0].is_string());
    }

    #[tokio::test]
    async fn a_reset_is_saved_as_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (persister, store) = store_with(&path);
        create(&store, "a");
        persister.save(&store).await.unwrap();
        create(&store, "b");
        persister.save(&store).await.unwrap();
        lock(&store).clear(Some(3));
        persister.save(&store).await.unwrap();
        let (snapshot, lines) = parts(&path);
        assert_eq!(snapshot["clusters"], serde_json::json!([]));
        assert!(lines.is_empty());
        assert!(loaded(&path).clusters.is_empty());
    }

    #[tokio::test]
    async fn closing_leaves_a_snapshot_that_an_older_emulator_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut persister, store) = store_with(&path);
        for id in ["a", "b"] {
            create(&store, id);
            persister.save(&store).await.unwrap();
        }
        let mut store = store.into_inner().unwrap();
        persister.close(&mut store).unwrap();
        // What emulators before the journal did with the file.
        let old_reader: StoreData = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(old_reader, store.data);
    }

    #[tokio::test]
    async fn closing_leaves_a_file_another_process_replaced_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut persister, store) = store_with(&path);
        for id in ["a", "b"] {
            create(&store, id);
            persister.save(&store).await.unwrap();
        }
        fs::write(&path, b"{}").unwrap();
        persister.close(&mut store.into_inner().unwrap()).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}");
    }

    #[test]
    fn the_journal_scan_stops_at_the_first_unreadable_line() {
        let line = encode_line(&StoreDelta {
            serial: 1,
            account: None,
            tags: None,
            clusters: vec![sample_cluster("a")],
            deleted: Vec::new(),
        })
        .unwrap();
        let scan = |bytes: &[u8]| {
            let mut applied = 0;
            scan_journal(bytes, |_| applied += 1).map(|scan| (scan, applied))
        };
        let at = |snapshot_tail, good_end| Scan {
            snapshot_tail,
            good_end,
        };
        assert_eq!(scan(b"").unwrap(), (at(0, 0), 0));
        assert_eq!(
            scan(b"  ").unwrap(),
            (at(2, 2), 0),
            "an older emulator's file"
        );
        assert_eq!(scan(b"\n").unwrap(), (at(1, 1), 0));
        let journal = [&b"\n"[..], &line, b"\n", &line[..10]].concat();
        assert_eq!(scan(&journal).unwrap(), (at(1, 2 + line.len()), 1));
        let unterminated = [&b"\n"[..], &line[..line.len() - 1]].concat();
        assert_eq!(scan(&unterminated).unwrap(), (at(1, 1), 0));
        assert_eq!(scan(b"junk").unwrap(), (at(0, 0), 0));
        assert!(scan(&[&b"junk\n"[..], &line].concat()).is_err());
        assert!(scan(&[&b"\n{\"serial\":\n"[..], &line].concat()).is_err());
    }

    #[test]
    fn leftover_temporary_files_are_removed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let leftover = dir.path().join("state.json.tmp-4242");
        let unrelated = dir.path().join("other.json.tmp-4242");
        fs::write(&leftover, b"{\"half\":").unwrap();
        fs::write(&unrelated, b"x").unwrap();
        let (_, data) = Persister::open(path).unwrap();
        assert!(data.is_none());
        assert!(!leftover.exists());
        assert!(unrelated.exists());
    }

    #[test]
    fn an_unreadable_or_empty_state_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        for bytes in [&b"not json"[..], b""] {
            fs::write(&path, bytes).unwrap();
            let error = Persister::open(path.clone()).err().expect("refused");
            assert!(
                format!("{error:#}").contains("not a dbaas-mock state"),
                "{error:#}"
            );
        }
    }
}
