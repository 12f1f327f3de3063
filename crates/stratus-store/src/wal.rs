//! The write-ahead log's format. A log is a header naming the boot it was
//! written in, then one record per committed batch:
//!
//! ```text
//! header:  "STRWAL01"  u32 len  boot id (len bytes)  u32 crc32(len, boot id)
//! record:  u32 len  u32 crc32(payload)  payload (len bytes)
//! payload: u32 ops, then per op: u8 kind, table, key[, value] (each u32 len + bytes)
//! ```
//!
//! Integers are little-endian. A record is whole only when its length fits
//! in what the file holds and its checksum matches; reading stops at the
//! first one that is not, since what follows a torn write is not trusted.

use crate::crc32::crc32;
use crate::{Batch, Op};

const MAGIC: &[u8; 8] = b"STRWAL01";
const PUT: u8 = 0;
const DELETE: u8 = 1;
const DELETE_PREFIX: u8 = 2;

pub fn header(boot_id: &str) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    let mut body = Vec::new();
    put_bytes(&mut body, boot_id.as_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_le_bytes());
    out
}

/// Appends `batch` as one framed record.
pub fn encode_record(batch: &Batch, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(&(batch.ops.len() as u32).to_le_bytes());
    for op in &batch.ops {
        match op {
            Op::Put { table, key, value } => {
                out.push(PUT);
                put_bytes(out, table.as_bytes());
                put_bytes(out, key);
                put_bytes(out, value);
            }
            Op::Delete { table, key } => {
                out.push(DELETE);
                put_bytes(out, table.as_bytes());
                put_bytes(out, key);
            }
            Op::DeletePrefix { table, prefix } => {
                out.push(DELETE_PREFIX);
                put_bytes(out, table.as_bytes());
                put_bytes(out, prefix);
            }
        }
    }
    let payload = start + 8;
    let len = (out.len() - payload) as u32;
    let crc = crc32(&out[payload..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..payload].copy_from_slice(&crc.to_le_bytes());
}

/// What a log holds.
#[derive(Debug, Default)]
pub struct Contents {
    /// `None` when the header itself is missing or damaged.
    pub boot_id: Option<String>,
    pub batches: Vec<Batch>,
    /// Bytes after the last whole record (a torn or corrupt tail).
    pub dropped_bytes: usize,
}

pub fn read(bytes: &[u8]) -> Contents {
    let mut r = Reader { bytes, pos: 0 };
    let boot_id = (|| {
        if r.take(MAGIC.len())? != MAGIC {
            return None;
        }
        let start = r.pos;
        let id = r.bytes_field()?;
        let body = &bytes[start..r.pos];
        (r.u32()? == crc32(body)).then(|| String::from_utf8_lossy(id).into_owned())
    })();
    let Some(boot_id) = boot_id else {
        return Contents {
            boot_id: None,
            batches: Vec::new(),
            dropped_bytes: bytes.len(),
        };
    };
    let mut batches = Vec::new();
    let mut whole = r.pos;
    while let Some(batch) = r.record() {
        batches.push(batch);
        whole = r.pos;
    }
    Contents {
        boot_id: Some(boot_id),
        batches,
        dropped_bytes: bytes.len() - whole,
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len())?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn bytes_field(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// The next whole record, or `None` at the end or at a damaged one.
    fn record(&mut self) -> Option<Batch> {
        let len = self.u32()? as usize;
        let crc = self.u32()?;
        let payload = self.take(len)?;
        if crc32(payload) != crc {
            return None;
        }
        decode_batch(payload)
    }
}

fn decode_batch(payload: &[u8]) -> Option<Batch> {
    let mut r = Reader {
        bytes: payload,
        pos: 0,
    };
    let n = r.u32()? as usize;
    let mut ops = Vec::with_capacity(n.min(payload.len()));
    for _ in 0..n {
        let kind = r.take(1)?[0];
        let table = String::from_utf8(r.bytes_field()?.to_vec()).ok()?;
        let key = r.bytes_field()?.to_vec();
        ops.push(match kind {
            PUT => Op::Put {
                table,
                key,
                value: r.bytes_field()?.to_vec(),
            },
            DELETE => Op::Delete { table, key },
            DELETE_PREFIX => Op::DeletePrefix { table, prefix: key },
            _ => return None,
        });
    }
    (r.pos == payload.len()).then_some(Batch { ops })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: u32) -> Batch {
        let mut b = Batch::new();
        b.put("queue", format!("k{i}"), format!("value {i}"))
            .delete("queue", format!("gone{i}"))
            .delete_prefix("objects", format!("p{i}/"));
        b
    }

    fn log_of(n: u32) -> Vec<u8> {
        let mut log = header("boot-1");
        for i in 0..n {
            encode_record(&sample(i), &mut log);
        }
        log
    }

    fn keys(c: &Contents) -> Vec<String> {
        c.batches
            .iter()
            .map(|b| match &b.ops[0] {
                Op::Put { key, .. } => String::from_utf8(key.clone()).unwrap(),
                other => panic!("unexpected first op {other:?}"),
            })
            .collect()
    }

    #[test]
    fn records_round_trip_in_order() {
        let c = read(&log_of(3));
        assert_eq!(c.boot_id.as_deref(), Some("boot-1"));
        assert_eq!(keys(&c), ["k0", "k1", "k2"]);
        assert_eq!(c.dropped_bytes, 0);
        match &c.batches[1].ops[..] {
            [
                Op::Put { table, value, .. },
                Op::Delete { key, .. },
                Op::DeletePrefix { table: t2, prefix },
            ] => {
                assert_eq!(table, "queue");
                assert_eq!(value, b"value 1");
                assert_eq!(key, b"gone1");
                assert_eq!(t2, "objects");
                assert_eq!(prefix, b"p1/");
            }
            other => panic!("ops changed: {other:?}"),
        }
    }

    #[test]
    fn a_torn_tail_is_dropped_at_every_cut() {
        let whole = log_of(3);
        let two = log_of(2).len();
        for cut in two + 1..whole.len() {
            let c = read(&whole[..cut]);
            assert_eq!(keys(&c), ["k0", "k1"], "cut at {cut}");
            assert_eq!(c.dropped_bytes, cut - two);
        }
    }

    #[test]
    fn reading_stops_at_a_corrupt_record() {
        let mut log = log_of(3);
        let second = log_of(1).len();
        // Flip a byte inside the second record's payload.
        log[second + 12] ^= 0x40;
        let c = read(&log);
        assert_eq!(keys(&c), ["k0"]);
        assert_eq!(c.dropped_bytes, log.len() - second);
    }

    #[test]
    fn a_zeroed_tail_is_not_a_record() {
        // What a file extended by a crash before its data landed can hold.
        let mut log = log_of(1);
        let whole = log.len();
        log.extend_from_slice(&[0u8; 64]);
        let c = read(&log);
        assert_eq!(keys(&c), ["k0"]);
        assert_eq!(c.dropped_bytes, log.len() - whole);
    }

    #[test]
    fn a_damaged_header_yields_nothing() {
        let mut log = log_of(2);
        log[9] ^= 1;
        let c = read(&log);
        assert!(c.boot_id.is_none());
        assert!(c.batches.is_empty());
        assert!(read(b"").batches.is_empty());
    }
}
