//! Export tasks carried out on the clock: each PENDING task writes its
//! group's events from `from` to `to` into the destination bucket as AWS
//! lays them out, `PREFIX/TASK/STREAM/000000.gz`, gzip of lines
//! `TIMESTAMP MESSAGE`, then completes (or fails with the reason). A task
//! starts a few seconds after it is created, as on AWS, which leaves time
//! to cancel it.

use std::io::Write;
use std::sync::Arc;

use flate2::Compression;
use flate2::write::GzEncoder;
use stratus_core::delivery::ObjectSink;
use stratus_core::time::iso8601_millis;

use crate::state::State;

/// How long a task stays PENDING before it runs.
pub const START_DELAY_MS: i64 = 5_000;

/// One object: a stream's events in the task's range.
struct Part {
    key: String,
    body: Vec<u8>,
}

fn gzip(lines: &str) -> Vec<u8> {
    let mut z = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(lines.as_bytes());
    z.finish().unwrap_or_default()
}

/// Runs every pending export task; returns how many ran.
pub fn run_pending(state: &State, objects: &Arc<dyn ObjectSink>, now_ms: i64) -> usize {
    // (account, region, task id, bucket, parts), gathered under the lock.
    let mut work = Vec::new();
    {
        let inner = state.read();
        for ((account, region), r) in &inner.regions {
            let due = |t: &&crate::state::ExportTaskRec| {
                t.status == "PENDING" && now_ms >= t.created_ms + START_DELAY_MS
            };
            for t in r.exports.values().filter(due) {
                let mut parts = Vec::new();
                if let Some(g) = r.groups.get(&t.group) {
                    for s in g.streams.values() {
                        let lines: String = s
                            .events
                            .iter()
                            .filter(|e| e.timestamp >= t.from && e.timestamp <= t.to)
                            .map(|e| format!("{} {}\n", iso8601_millis(e.timestamp), e.message))
                            .collect();
                        if lines.is_empty() {
                            continue;
                        }
                        let prefix = t.destination_prefix.trim_end_matches('/');
                        parts.push(Part {
                            key: format!("{prefix}/{}/{}/000000.gz", t.id, s.name),
                            body: gzip(&lines),
                        });
                    }
                }
                work.push((
                    account.clone(),
                    region.clone(),
                    t.id.clone(),
                    t.destination.clone(),
                    parts,
                ));
            }
        }
    }
    let ran = work.len();
    for (account, region, id, bucket, parts) in work {
        let outcome = if objects.bucket_owned(&account, &bucket) {
            parts.into_iter().try_for_each(|p| {
                objects.put(
                    &account,
                    &bucket,
                    &p.key,
                    p.body,
                    "application/x-gzip",
                    now_ms,
                )
            })
        } else {
            Err(stratus_core::AwsError::bad_request(
                "NoSuchBucket",
                "The specified bucket does not exist",
            ))
        };
        let (status, message) = match outcome {
            Ok(()) => ("COMPLETED", "Completed successfully".to_string()),
            Err(e) => ("FAILED", e.message),
        };
        let mut txn = state.begin();
        let r = txn.inner.region(&account, &region);
        let Some(t) = r.exports.get_mut(&id) else {
            continue;
        };
        // Cancelled while the objects were written: the cancellation stands.
        if t.status != "PENDING" {
            continue;
        }
        t.status = status.into();
        t.message = Some(message);
        t.completed_ms = Some(now_ms);
        let saved = txn
            .put_export(&account, &region, &id)
            .and_then(|()| txn.commit());
        if let Err(e) = saved {
            tracing::warn!(error = %e.message, "could not store an export task's outcome");
        }
    }
    ran
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn parts_are_gzip_of_timestamped_lines() {
        let z = gzip("2026-01-01T00:00:00.000Z hello\n");
        let mut out = String::new();
        flate2::read::GzDecoder::new(&z[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "2026-01-01T00:00:00.000Z hello\n");
    }
}
