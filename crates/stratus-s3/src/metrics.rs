//! The daily storage metrics of AWS/S3: BucketSizeBytes per storage type
//! and NumberOfObjects, every version counted, as AWS reports them once a
//! day. The first report comes within a minute of start rather than a day
//! later.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use stratus_core::metrics::{Batches, MetricSink, Sample, sample};
use stratus_core::tasks::Task;

use crate::Engine;
use crate::state::{BucketEntry, ObjectMeta};

const DAY_MS: i64 = 86_400_000;

/// The StorageType dimension value of a storage class.
fn storage_type(class: Option<&str>) -> &'static str {
    match class.unwrap_or("STANDARD") {
        "STANDARD_IA" => "StandardIAStorage",
        "ONEZONE_IA" => "OneZoneIAStorage",
        "REDUCED_REDUNDANCY" => "ReducedRedundancyStorage",
        "INTELLIGENT_TIERING" => "IntelligentTieringFAStorage",
        "GLACIER" => "GlacierStorage",
        "GLACIER_IR" => "GlacierInstantRetrievalStorage",
        "DEEP_ARCHIVE" => "DeepArchiveStorage",
        _ => "StandardStorage",
    }
}

fn bucket_samples(b: &BucketEntry, at_ms: i64) -> Vec<Sample> {
    let versions = b.objects.values().chain(b.history.values().flatten());
    let stored: Vec<&ObjectMeta> = versions.filter(|o| !o.delete_marker).collect();
    let mut bytes: BTreeMap<&str, u64> = BTreeMap::new();
    for o in &stored {
        *bytes
            .entry(storage_type(o.storage_class.as_deref()))
            .or_default() += o.size;
    }
    let name = b.meta.name.as_str();
    let mut out: Vec<Sample> = bytes
        .into_iter()
        .map(|(kind, n)| {
            let dims = [("BucketName", name), ("StorageType", kind)];
            sample("AWS/S3", "BucketSizeBytes", &dims, at_ms, n as f64, "Bytes")
        })
        .collect();
    let dims = [("BucketName", name), ("StorageType", "AllStorageTypes")];
    out.push(sample(
        "AWS/S3",
        "NumberOfObjects",
        &dims,
        at_ms,
        stored.len() as f64,
        "Count",
    ));
    out
}

pub struct StorageMetrics {
    pub engine: Arc<Engine>,
    pub sink: Arc<dyn MetricSink>,
    pub last_day: Mutex<Option<i64>>,
}

impl Task for StorageMetrics {
    fn name(&self) -> &str {
        "s3-storage-metrics"
    }

    fn tick(&self, now_ms: i64) {
        let day = now_ms.div_euclid(DAY_MS);
        {
            let mut last = self.last_day.lock();
            if last.is_some_and(|l| l >= day) {
                return;
            }
            *last = Some(day);
        }
        let mut all = Batches::default();
        {
            let s = self.engine.db.state.read();
            for b in s.buckets.values() {
                all.add(
                    &b.meta.account,
                    &b.meta.region,
                    bucket_samples(b, day * DAY_MS),
                );
            }
        }
        all.send(self.sink.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_classes_map_to_aws_storage_types() {
        assert_eq!(storage_type(None), "StandardStorage");
        assert_eq!(storage_type(Some("STANDARD_IA")), "StandardIAStorage");
        assert_eq!(storage_type(Some("DEEP_ARCHIVE")), "DeepArchiveStorage");
    }
}
