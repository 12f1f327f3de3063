//! Buckets, objects and uploads: held in memory, written through to the
//! store before a request is answered, loaded at start.

use std::collections::{BTreeMap, HashSet};

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use stratus_store::{Batch, Store};

pub use crate::versions::{KeyState, Mode};

pub const TABLE: &str = "s3";

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketMeta {
    pub name: String,
    pub account: String,
    pub region: String,
    pub created_ms: i64,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlock>,
    #[serde(default)]
    pub tags: Option<Vec<(String, String)>>,
    /// Sub-resource configurations (website, cors, lifecycle, ...) as the
    /// XML document the client sent, keyed by sub-resource name.
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
    /// `Enabled` or `Suspended` once versioning was ever configured.
    #[serde(default)]
    pub versioning: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Without quotes: hex MD5, or `hex-N` for multipart objects.
    pub etag: String,
    pub last_modified_ms: i64,
    /// The data file's name; empty for empty objects and inline ones.
    pub file: String,
    /// A small object's bytes, held here rather than in a file.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "inline_bytes"
    )]
    pub inline: Option<bytes::Bytes>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub content_encoding: Option<String>,
    #[serde(default)]
    pub content_disposition: Option<String>,
    #[serde(default)]
    pub content_language: Option<String>,
    #[serde(default)]
    pub cache_control: Option<String>,
    /// Raw `Expires` header value.
    #[serde(default)]
    pub expires_ms: Option<i64>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub storage_class: Option<String>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// (algorithm, base64 value, FULL_OBJECT|COMPOSITE).
    #[serde(default)]
    pub checksum: Option<(String, String, String)>,
    #[serde(default)]
    pub website_redirect: Option<String>,
    #[serde(default)]
    pub parts_count: Option<u32>,
    /// Sizes of the parts of a multipart object, for GET ?partNumber=.
    #[serde(default)]
    pub part_sizes: Vec<u64>,
    #[serde(default)]
    pub sse: Option<String>,
    /// `None` is the null version.
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub delete_marker: bool,
    /// The object's ACL (an AccessControlPolicy document), if one was set.
    #[serde(default)]
    pub acl: Option<String>,
}

/// Inline bytes in the stored JSON: a base64 string.
mod inline_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &Option<bytes::Bytes>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bytes::Bytes>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| {
                STANDARD
                    .decode(s)
                    .map(bytes::Bytes::from)
                    .map_err(D::Error::custom)
            })
            .transpose()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    pub number: u32,
    pub etag: String,
    pub size: u64,
    pub file: String,
    pub last_modified_ms: i64,
    #[serde(default)]
    pub checksum: Option<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    pub id: String,
    pub bucket: String,
    pub key: String,
    pub initiated_ms: i64,
    /// Headers of CreateMultipartUpload that become the object's.
    pub template: ObjectMeta,
    #[serde(default)]
    pub checksum_algorithm: Option<String>,
    #[serde(default)]
    pub parts: BTreeMap<u32, Part>,
}

pub struct BucketEntry {
    pub meta: BucketMeta,
    /// The current version of each key that has one.
    pub objects: BTreeMap<String, ObjectMeta>,
    /// Noncurrent versions and delete markers, newest first.
    pub history: BTreeMap<String, Vec<ObjectMeta>>,
    pub uploads: BTreeMap<String, Upload>,
}

impl BucketEntry {
    pub fn new(meta: BucketMeta) -> BucketEntry {
        BucketEntry {
            meta,
            objects: BTreeMap::new(),
            history: BTreeMap::new(),
            uploads: BTreeMap::new(),
        }
    }

    pub fn key_state(&self, key: &str) -> KeyState {
        KeyState {
            current: self.objects.get(key).cloned(),
            history: self.history.get(key).cloned().unwrap_or_default(),
        }
    }

    /// Writes a key's versions to `batch` (to be committed before
    /// [`BucketEntry::set_key_state`]).
    pub fn persist_key(&self, batch: &mut Batch, key: &str, ks: &KeyState) -> Result<(), String> {
        let bucket = &self.meta.name;
        match &ks.current {
            Some(c) => {
                batch
                    .put_json(TABLE, object_key(bucket, key), c)
                    .map_err(|e| e.to_string())?;
            }
            None => {
                batch.delete(TABLE, object_key(bucket, key));
            }
        }
        if ks.history.is_empty() {
            batch.delete(TABLE, history_key(bucket, key));
        } else {
            batch
                .put_json(TABLE, history_key(bucket, key), &ks.history)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    pub fn set_key_state(&mut self, key: &str, ks: KeyState) {
        match ks.current {
            Some(c) => {
                self.objects.insert(key.to_string(), c);
            }
            None => {
                self.objects.remove(key);
            }
        }
        if ks.history.is_empty() {
            self.history.remove(key);
        } else {
            self.history.insert(key.to_string(), ks.history);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.history.is_empty()
    }

    pub fn mode(&self) -> Mode {
        Mode::of(self.meta.versioning.as_deref())
    }
}

#[derive(Default)]
pub struct State {
    pub buckets: BTreeMap<String, BucketEntry>,
}

pub fn bucket_key(name: &str) -> Vec<u8> {
    format!("b/{name}").into_bytes()
}

pub fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    format!("o/{bucket}/{key}").into_bytes()
}

pub fn history_key(bucket: &str, key: &str) -> Vec<u8> {
    format!("h/{bucket}/{key}").into_bytes()
}

pub fn upload_key(bucket: &str, id: &str) -> Vec<u8> {
    format!("u/{bucket}/{id}").into_bytes()
}

pub struct Db {
    pub store: Store,
    pub state: RwLock<State>,
}

impl Db {
    pub fn load(store: Store) -> Result<Db, String> {
        let mut state = State::default();
        let err = |e: stratus_store::StoreError| e.to_string();
        for b in store.scan_json::<BucketMeta>(TABLE, b"b/").map_err(err)? {
            state.buckets.insert(b.name.clone(), BucketEntry::new(b));
        }
        for (k, v) in store.scan(TABLE, b"o/").map_err(err)? {
            let Ok(o) = serde_json::from_slice::<ObjectMeta>(&v) else {
                tracing::warn!(key = %String::from_utf8_lossy(&k), "skipping unreadable object entry");
                continue;
            };
            let bucket = String::from_utf8_lossy(&k[2..])
                .split('/')
                .next()
                .unwrap_or("")
                .to_string();
            if let Some(b) = state.buckets.get_mut(&bucket) {
                b.objects.insert(o.key.clone(), o);
            }
        }
        for (k, v) in store.scan(TABLE, b"h/").map_err(err)? {
            let Ok(h) = serde_json::from_slice::<Vec<ObjectMeta>>(&v) else {
                tracing::warn!(key = %String::from_utf8_lossy(&k), "skipping unreadable version entry");
                continue;
            };
            let Some(first) = h.first() else { continue };
            let bucket = String::from_utf8_lossy(&k[2..])
                .split('/')
                .next()
                .unwrap_or("")
                .to_string();
            if let Some(b) = state.buckets.get_mut(&bucket) {
                b.history.insert(first.key.clone(), h);
            }
        }
        for u in store.scan_json::<Upload>(TABLE, b"u/").map_err(err)? {
            if let Some(b) = state.buckets.get_mut(&u.bucket) {
                b.uploads.insert(u.id.clone(), u);
            }
        }
        Ok(Db {
            store,
            state: RwLock::new(state),
        })
    }

    /// Every data file the metadata points at.
    pub fn referenced_files(&self) -> HashSet<String> {
        let s = self.state.read();
        let mut out = HashSet::new();
        for b in s.buckets.values() {
            out.extend(b.objects.values().map(|o| o.file.clone()));
            out.extend(b.history.values().flatten().map(|o| o.file.clone()));
            for u in b.uploads.values() {
                out.extend(u.parts.values().map(|p| p.file.clone()));
            }
        }
        out.remove("");
        out
    }

    pub fn commit(&self, batch: Batch) -> Result<(), String> {
        self.store.commit(batch).map_err(|e| e.to_string())
    }
}
