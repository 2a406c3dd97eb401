//! `--state-file`: the store is loaded at start and written after every change, atomically
//! (temporary file, fsync, rename), so a crash never leaves a half-written file behind.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::store::StoreData;

pub struct Persister {
    path: PathBuf,
    /// The store generation last written; writes are serialised through this lock.
    saved_generation: tokio::sync::Mutex<Option<u64>>,
}

impl Persister {
    pub fn new(path: PathBuf) -> Self {
        Persister {
            path,
            saved_generation: tokio::sync::Mutex::new(None),
        }
    }

    /// The stored data, or `None` when the file does not exist yet.
    pub fn load(&self) -> anyhow::Result<Option<StoreData>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("reading state file {}", self.path.display()))
            }
        };
        serde_json::from_slice(&bytes).map(Some).with_context(|| {
            format!(
                "state file {} is not a dbaas-mock state",
                self.path.display()
            )
        })
    }

    /// Writes `snapshot()` unless `generation` was written already. The snapshot is taken under
    /// the write lock, so a newer state is never overwritten by an older one.
    pub async fn save(
        &self,
        snapshot: impl FnOnce() -> (u64, anyhow::Result<Vec<u8>>),
    ) -> anyhow::Result<()> {
        let mut saved = self.saved_generation.lock().await;
        let (generation, bytes) = snapshot();
        if *saved == Some(generation) {
            return Ok(());
        }
        let bytes = bytes?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .context("state file writer panicked")??;
        *saved = Some(generation);
        Ok(())
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let file_name = path
        .file_name()
        .with_context(|| format!("state file {} has no file name", path.display()))?;
    let mut temporary_name = file_name.to_os_string();
    temporary_name.push(format!(".tmp-{}", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.with_context(|| format!("writing state file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::store::Store;

    #[tokio::test]
    async fn saves_once_per_generation_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let persister = Persister::new(path.clone());
        assert!(persister.load().unwrap().is_none());
        let store = Store::new(Some(3));
        let data = store.data.clone();
        persister
            .save(|| (1, serde_json::to_vec(&data).map_err(Into::into)))
            .await
            .unwrap();
        assert_eq!(persister.load().unwrap(), Some(data.clone()));
        std::fs::remove_file(&path).unwrap();
        persister
            .save(|| (1, serde_json::to_vec(&data).map_err(Into::into)))
            .await
            .unwrap();
        assert!(!path.exists(), "an unchanged generation is not rewritten");
        std::fs::write(&path, b"not json").unwrap();
        assert!(persister.load().is_err());
    }
}
