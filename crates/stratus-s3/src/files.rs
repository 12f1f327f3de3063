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

/// Objects up to this size keep their bytes in their metadata instead of a
/// file of their own: a small PUT or GET then touches no file and waits for
/// no blocking thread, and the bytes become durable with the metadata
/// commit itself. Small enough that holding them in memory stays cheap.
pub const INLINE_MAX: usize = 4 << 10;

/// Where a finished upload's bytes wait to become an object's or a part's.
pub enum Staged {
    /// A temporary file, renamed into place by [`Files::publish`].
    File(PathBuf),
    /// At most [`INLINE_MAX`] bytes, kept in the object's metadata.
    Inline(Bytes),
}

/// A source of bytes for [`Files::concat`].
pub enum Piece {
    File(String),
    Inline(Bytes),
}

impl Piece {
    /// The bytes of an object, by where its metadata says they are.
    pub fn of(o: &crate::state::ObjectMeta) -> Piece {
        match &o.inline {
            Some(b) => Piece::Inline(b.clone()),
            None => Piece::File(o.file.clone()),
        }
    }
}

/// What a finished upload measured.
pub struct Written {
    pub staged: Staged,
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

    /// Reads `body`, hashing as it goes: into memory while it fits
    /// [`INLINE_MAX`] and `inline` allows it, else into a new temporary file.
    pub async fn write(
        &self,
        body: Option<StreamingBlob>,
        mut hasher: ChecksumHasher,
        inline: bool,
    ) -> Result<Written, WriteError> {
        let mut md5 = Md5::new();
        let mut head: Vec<u8> = Vec::new();
        let mut body = body;
        if inline {
            if let Some(b) = body.as_mut() {
                loop {
                    let Some(chunk) = b.next().await else {
                        let size = head.len() as u64;
                        return Ok(written(
                            Staged::Inline(Bytes::from(head)),
                            size,
                            md5,
                            hasher,
                        ));
                    };
                    let chunk: Bytes = chunk.map_err(|e| WriteError::Body(e.to_string()))?;
                    md5.update(&chunk);
                    hasher.update(&chunk);
                    head.extend_from_slice(&chunk);
                    if head.len() > INLINE_MAX {
                        break;
                    }
                }
            } else {
                return Ok(written(Staged::Inline(Bytes::new()), 0, md5, hasher));
            }
        }
        let tmp = self.new_tmp();
        let result = self
            .write_to(&tmp, &head, body, &mut md5, &mut hasher)
            .await;
        into_file(tmp, result, md5, hasher).await
    }

    /// Writes `head` (already hashed) and then the rest of `body` to `tmp`;
    /// answers the whole size.
    async fn write_to(
        &self,
        tmp: &Path,
        head: &[u8],
        body: Option<StreamingBlob>,
        md5: &mut Md5,
        hasher: &mut ChecksumHasher,
    ) -> Result<u64, WriteError> {
        let mut f = tokio::fs::File::create(tmp).await.map_err(WriteError::Io)?;
        f.write_all(head).await.map_err(WriteError::Io)?;
        let mut size = head.len() as u64;
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
        Ok(size)
    }

    /// Copies byte ranges of existing objects' bytes into new bytes: in
    /// memory when they fit [`INLINE_MAX`] and `inline` allows it, else a
    /// new temporary file.
    pub async fn concat(
        &self,
        pieces: &[(Piece, u64, u64)],
        mut hasher: ChecksumHasher,
        inline: bool,
    ) -> io::Result<Written> {
        let total: u64 = pieces.iter().map(|p| p.2).sum();
        let mut md5 = Md5::new();
        if inline && total <= INLINE_MAX as u64 {
            let mut out = Vec::with_capacity(total as usize);
            for (piece, start, len) in pieces {
                out.extend_from_slice(&self.read_piece(piece, *start, *len).await?);
            }
            md5.update(&out);
            hasher.update(&out);
            return Ok(written(
                Staged::Inline(Bytes::from(out)),
                total,
                md5,
                hasher,
            ));
        }
        let tmp = self.new_tmp();
        let r = self.concat_to(&tmp, pieces, &mut md5, &mut hasher).await;
        into_file(tmp, r, md5, hasher).await
    }

    /// A small range of a piece, read whole.
    async fn read_piece(&self, piece: &Piece, start: u64, len: u64) -> io::Result<Bytes> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let name = match piece {
            Piece::Inline(b) => return slice(b, start, len),
            Piece::File(name) => name,
        };
        let mut f = tokio::fs::File::open(self.data_path(name)).await?;
        f.seek(io::SeekFrom::Start(start)).await?;
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
        f.read_exact(&mut buf).await?;
        Ok(Bytes::from(buf))
    }

    async fn concat_to(
        &self,
        tmp: &Path,
        pieces: &[(Piece, u64, u64)],
        md5: &mut Md5,
        hasher: &mut ChecksumHasher,
    ) -> io::Result<u64> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut out = tokio::fs::File::create(tmp).await?;
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 << 10];
        for (piece, start, len) in pieces {
            let name = match piece {
                Piece::Inline(b) => {
                    let part = slice(b, *start, *len)?;
                    md5.update(&part);
                    hasher.update(&part);
                    out.write_all(&part).await?;
                    size += part.len() as u64;
                    continue;
                }
                Piece::File(name) => name,
            };
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
        Ok(size)
    }

    /// Makes staged bytes an object's: a temporary file is moved to its
    /// data name (answered first); inline bytes are answered second, for the
    /// metadata to hold.
    pub async fn publish(&self, staged: Staged) -> io::Result<(String, Option<Bytes>)> {
        let tmp = match staged {
            Staged::Inline(b) => return Ok((String::new(), Some(b))),
            Staged::File(tmp) => tmp,
        };
        let name = stratus_core::ids::uuid_v4();
        tokio::fs::rename(&tmp, self.data_path(&name)).await?;
        if self.durable {
            if let Ok(d) = tokio::fs::File::open(self.root.join("data")).await {
                let _ = d.sync_all().await;
            }
        }
        Ok((name, None))
    }

    pub async fn discard(&self, staged: &Staged) {
        if let Staged::File(tmp) = staged {
            let _ = tokio::fs::remove_file(tmp).await;
        }
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

fn written(staged: Staged, size: u64, md5: Md5, hasher: ChecksumHasher) -> Written {
    Written {
        staged,
        size,
        md5: md5.finalize().into(),
        checksum: hasher.finalize(),
    }
}

/// What writing `tmp` came to: its bytes staged, or the error with the
/// partial file removed.
async fn into_file<E>(
    tmp: PathBuf,
    result: Result<u64, E>,
    md5: Md5,
    hasher: ChecksumHasher,
) -> Result<Written, E> {
    match result {
        Ok(size) => Ok(written(Staged::File(tmp), size, md5, hasher)),
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            Err(e)
        }
    }
}

/// `len` bytes of `b` from `start`, or an error when `b` is shorter.
fn slice(b: &Bytes, start: u64, len: u64) -> io::Result<Bytes> {
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let end = start.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
    if end > b.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "short inline data",
        ));
    }
    Ok(b.slice(start..end))
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
