//! Large object bodies sent from a read-only mapping of their data file:
//! the socket copies straight from the page cache, with no read into (and
//! no zeroing of) a buffer of ours first.
//!
//! A mapping faults (SIGBUS) if its file shrinks underneath it. Data files
//! never do: once published they are only ever unlinked, which leaves an
//! existing mapping intact.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

use bytes::Bytes;

/// How much of a mapping one body chunk covers.
const CHUNK: usize = 4 << 20;

struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and never changes while it lives; it is
// unmapped once, by its last owner.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl AsRef<[u8]> for Mapping {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes until `drop`.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned and took.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

/// `len` bytes of `f` from `offset` as body chunks, each mapped (its pages
/// faulted in at once, not one fault per page during the send) only when
/// the body reaches it, so a large object holds one chunk's mapping at a
/// time. A failed mapping ends the body with its error.
pub fn chunks(f: File, offset: u64, len: u64) -> impl Iterator<Item = io::Result<Bytes>> {
    let end = offset.saturating_add(len);
    let mut at = offset;
    std::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        // Chunks end on multiples of CHUNK (a multiple of the page size),
        // so every mapping after the first starts page-aligned.
        let stop = ((at / CHUNK as u64 + 1) * CHUNK as u64).min(end);
        let piece = map(&f, at, (stop - at) as usize);
        at = if piece.is_ok() { stop } else { end };
        Some(piece)
    })
}

fn map(f: &File, offset: u64, len: usize) -> io::Result<Bytes> {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    let aligned = offset - offset % page;
    let delta = (offset - aligned) as usize;
    let map_len = len + delta;
    let off = libc::off_t::try_from(aligned).map_err(|_| io::Error::other("offset too large"))?;
    // SAFETY: a fresh private read-only mapping of an open file; the result
    // is checked before use.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            map_len,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_POPULATE,
            f.as_raw_fd(),
            off,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(Bytes::from_owner(Mapping { ptr, len: map_len }).slice(delta..map_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_any_range_of_a_file() {
        let path = std::env::temp_dir().join(format!("stratus-mapped-{}", std::process::id()));
        let data: Vec<u8> = (0..(3 * CHUNK as u32 / 2 + 12_345))
            .map(|i| (i % 251) as u8)
            .collect();
        File::create(&path).unwrap().write_all(&data).unwrap();
        let f = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for (start, len) in [
            (0, data.len()),
            (1, 10),
            (4095, 4098),
            (5000, CHUNK + 3),
            (data.len() - 1, 1),
        ] {
            let got: Vec<Bytes> = chunks(f.try_clone().unwrap(), start as u64, len as u64)
                .collect::<io::Result<_>>()
                .unwrap();
            assert!(got.iter().all(|c| c.len() <= CHUNK));
            assert_eq!(got.concat(), data[start..start + len], "{start}+{len}");
        }
        assert_eq!(chunks(f, 0, 0).count(), 0);
    }
}
