//! Object bytes on disk: written to a temporary file, then renamed into
//! place, so a reader never sees a partial object, and only then named by
//! metadata committed to the store, so a crash at any point leaves at worst
//! an orphan file that the next start removes.
//!
//! How the bytes become durable follows the store's fsync policy:
//! - `always`: each file (and the rename) is fsynced before the metadata is
//!   committed, so an acknowledged object survives a power loss.
//! - `interval`: no fsync here. The bytes are in the kernel before the
//!   metadata commit, which is enough for any crash of the process. For a
//!   power loss, the store's checkpoint syncs the whole filesystem (syncfs)
//!   *before* its durable commit, with writers held back in between, so the
//!   durable metadata never names a file whose bytes are missing; what a
//!   power loss takes is the last interval's objects and their metadata
//!   together. (A log written before a reboot is not replayed, for the same
//!   reason: its records may have reached the disk without their files.)
//!   Removing a file waits for the checkpoint after the commit that stopped
//!   naming it ([`Store::when_durable`]): the unlink could otherwise reach
//!   the disk first, and the durable metadata name a file that is gone.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use s3s::checksum::ChecksumHasher;
use s3s::dto::{Checksum, StreamingBlob};
use stratus_store::Store;
use tokio::io::AsyncWriteExt;

pub struct Files {
    root: PathBuf,
    store: Store,
    /// `--fsync always`: fsync each file before a write is acknowledged.
    durable: bool,
    /// Ephemeral mode owns a private directory and removes it on drop.
    owned: bool,
}

/// What a finished upload into a temporary file measured.
pub struct Written {
    pub tmp: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    pub checksum: Checksum,
}

pub enum WriteError {
    Io(io::Error),
    Body(String),
}

impl Files {
    pub fn open(store: &Store) -> io::Result<Files> {
        let (root, durable, owned) = match store.files_dir("s3") {
            Some(d) => (d, store.fsync_each_write(), false),
            None => {
                remove_stale_ephemeral_dirs();
                (
                    std::env::temp_dir().join(format!(
                        "stratus-s3-{}-{}",
                        std::process::id(),
                        stratus_core::ids::hex(8)
                    )),
                    false,
                    true,
                )
            }
        };
        for sub in ["tmp", "data"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        Ok(Files {
            root,
            store: store.clone(),
            durable,
            owned,
        })
    }

    pub fn data_path(&self, name: &str) -> PathBuf {
        self.root.join("data").join(name)
    }

    fn new_tmp(&self) -> PathBuf {
        self.root.join("tmp").join(stratus_core::ids::uuid_v4())
    }

    /// Streams `body` into a new temporary file, hashing as it goes.
    pub async fn write(
        &self,
        body: Option<StreamingBlob>,
        mut hasher: ChecksumHasher,
    ) -> Result<Written, WriteError> {
        let tmp = self.new_tmp();
        let result = self.write_to(&tmp, body, &mut hasher).await;
        match result {
            Ok((size, md5)) => Ok(Written {
                tmp,
                size,
                md5,
                checksum: hasher.finalize(),
            }),
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                Err(e)
            }
        }
    }

    async fn write_to(
        &self,
        tmp: &Path,
        body: Option<StreamingBlob>,
        hasher: &mut ChecksumHasher,
    ) -> Result<(u64, [u8; 16]), WriteError> {
        let mut f = tokio::fs::File::create(tmp).await.map_err(WriteError::Io)?;
        let mut md5 = Md5::new();
        let mut size = 0u64;
        if let Some(mut body) = body {
            while let Some(chunk) = body.next().await {
                let chunk: Bytes = chunk.map_err(|e| WriteError::Body(e.to_string()))?;
                md5.update(&chunk);
                hasher.update(&chunk);
                size += chunk.len() as u64;
                f.write_all(&chunk).await.map_err(WriteError::Io)?;
            }
        }
        f.flush().await.map_err(WriteError::Io)?;
        if self.durable {
            f.sync_all().await.map_err(WriteError::Io)?;
        }
        Ok((size, md5.finalize().into()))
    }

    /// Copies byte ranges of existing data files into a new temporary file.
    pub async fn concat(
        &self,
        pieces: &[(String, u64, u64)],
        mut hasher: ChecksumHasher,
    ) -> io::Result<Written> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let tmp = self.new_tmp();
        let mut out = tokio::fs::File::create(&tmp).await?;
        let mut md5 = Md5::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 << 10];
        let r: io::Result<()> = async {
            for (name, start, len) in pieces {
                let mut f = tokio::fs::File::open(self.data_path(name)).await?;
                f.seek(io::SeekFrom::Start(*start)).await?;
                let mut left = *len;
                while left > 0 {
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = f.read(&mut buf[..want]).await?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "short data file",
                        ));
                    }
                    md5.update(&buf[..n]);
                    hasher.update(&buf[..n]);
                    out.write_all(&buf[..n]).await?;
                    left -= n as u64;
                    size += n as u64;
                }
            }
            out.flush().await?;
            if self.durable {
                out.sync_all().await?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = r {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        Ok(Written {
            tmp,
            size,
            md5: md5.finalize().into(),
            checksum: hasher.finalize(),
        })
    }

    /// Moves a finished temporary file to its data name.
    pub async fn publish(&self, tmp: &Path) -> io::Result<String> {
        let name = stratus_core::ids::uuid_v4();
        tokio::fs::rename(tmp, self.data_path(&name)).await?;
        if self.durable {
            if let Ok(d) = tokio::fs::File::open(self.root.join("data")).await {
                let _ = d.sync_all().await;
            }
        }
        Ok(name)
    }

    pub async fn discard(&self, tmp: &Path) {
        let _ = tokio::fs::remove_file(tmp).await;
    }

    /// Removes a data file once the commit that stopped naming it (made
    /// before this call) is durable.
    pub fn remove(&self, name: &str) {
        let path = self.data_path(name);
        self.store.when_durable(move || {
            let _ = std::fs::remove_file(path);
        });
    }

    /// At start: drops unfinished uploads and data no metadata points at
    /// (a crash between the rename and the metadata commit).
    pub fn clean_orphans(&self, referenced: &HashSet<String>) -> usize {
        let mut removed = 0;
        for (sub, keep_referenced) in [("tmp", false), ("data", true)] {
            let Ok(entries) = std::fs::read_dir(self.root.join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if keep_referenced && referenced.contains(&name) {
                    continue;
                }
                if std::fs::remove_file(e.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Removes every data file, after the reset that forgot them is durable.
    pub fn remove_all_data(&self) {
        let Ok(entries) = std::fs::read_dir(self.root.join("data")) else {
            return;
        };
        for e in entries.flatten() {
            self.remove(&e.file_name().to_string_lossy());
        }
    }
}

/// Ephemeral directories of servers that were killed before they could
/// remove their own (the process id in the name is no longer running).
fn remove_stale_ephemeral_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix("stratus-s3-")
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = std::path::Path::new("/proc").join(pid.to_string()).exists();
        if std::path::Path::new("/proc/self").exists() && !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}
