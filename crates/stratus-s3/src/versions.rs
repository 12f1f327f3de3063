//! How one key's versions change on writes and deletes, for unversioned,
//! versioning-enabled and versioning-suspended buckets. `version_id: None`
//! is S3's "null" version.

use crate::state::ObjectMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Unversioned,
    Enabled,
    Suspended,
}

impl Mode {
    pub fn of(status: Option<&str>) -> Mode {
        match status {
            Some("Enabled") => Mode::Enabled,
            Some("Suspended") => Mode::Suspended,
            _ => Mode::Unversioned,
        }
    }
}

/// A key's versions: the current object (absent when deleted or when a
/// delete marker is latest) and older versions and markers, newest first.
#[derive(Debug, Clone, Default)]
pub struct KeyState {
    pub current: Option<ObjectMeta>,
    pub history: Vec<ObjectMeta>,
}

fn file_of(o: ObjectMeta) -> Option<String> {
    (!o.file.is_empty()).then_some(o.file)
}

impl KeyState {
    pub fn is_empty(&self) -> bool {
        self.current.is_none() && self.history.is_empty()
    }

    /// The latest entry is a delete marker.
    pub fn marker_is_latest(&self) -> bool {
        self.current.is_none() && self.history.first().is_some_and(|h| h.delete_marker)
    }

    /// `id` as a client names it: `"null"` is the null version.
    pub fn find(&self, id: &str) -> Option<&ObjectMeta> {
        let want = (id != "null").then_some(id);
        self.current
            .iter()
            .chain(self.history.iter())
            .find(|o| o.version_id.as_deref() == want)
    }

    fn drop_null_history(&mut self, dropped: &mut Vec<String>) {
        let (nulls, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.history)
            .into_iter()
            .partition(|o| o.version_id.is_none());
        self.history = keep;
        dropped.extend(nulls.into_iter().filter_map(file_of));
    }

    /// Retires the current object as a write or delete would; `dropped`
    /// receives data files no version refers to any more.
    fn retire_current(&mut self, mode: Mode, dropped: &mut Vec<String>) {
        if mode == Mode::Suspended {
            self.drop_null_history(dropped);
        }
        if let Some(old) = self.current.take() {
            let keep = match mode {
                Mode::Unversioned => false,
                Mode::Enabled => true,
                Mode::Suspended => old.version_id.is_some(),
            };
            if keep {
                self.history.insert(0, old);
            } else {
                dropped.extend(file_of(old));
            }
        }
    }

    /// Makes `meta` the current version; returns the files to remove.
    pub fn put(&mut self, mut meta: ObjectMeta, mode: Mode, new_id: String) -> Vec<String> {
        let mut dropped = Vec::new();
        meta.version_id = (mode == Mode::Enabled).then_some(new_id);
        meta.delete_marker = false;
        self.retire_current(mode, &mut dropped);
        self.current = Some(meta);
        dropped
    }

    /// A DELETE without a version id. Returns the files to remove and the
    /// delete marker placed, if versioning put one.
    pub fn delete(
        &mut self,
        key: &str,
        mode: Mode,
        new_id: String,
        now_ms: i64,
    ) -> (Vec<String>, Option<ObjectMeta>) {
        let mut dropped = Vec::new();
        self.retire_current(mode, &mut dropped);
        if mode == Mode::Unversioned {
            return (dropped, None);
        }
        let marker = ObjectMeta {
            key: key.to_string(),
            last_modified_ms: now_ms,
            version_id: (mode == Mode::Enabled).then_some(new_id),
            delete_marker: true,
            ..Default::default()
        };
        self.history.insert(0, marker.clone());
        (dropped, Some(marker))
    }

    /// Removes one version for good; the next newest object becomes current
    /// when the latest went. `None` when there is no such version.
    pub fn delete_version(&mut self, id: &str) -> Option<(ObjectMeta, Vec<String>)> {
        let want = (id != "null").then_some(id);
        let removed = if self
            .current
            .as_ref()
            .is_some_and(|c| c.version_id.as_deref() == want)
        {
            self.current.take()
        } else {
            let i = self
                .history
                .iter()
                .position(|o| o.version_id.as_deref() == want)?;
            let was_latest = i == 0 && self.current.is_none();
            let r = self.history.remove(i);
            if !was_latest {
                let dropped = file_of(r.clone()).into_iter().collect();
                return Some((r, dropped));
            }
            Some(r)
        }?;
        if self.history.first().is_some_and(|h| !h.delete_marker) {
            self.current = Some(self.history.remove(0));
        }
        let dropped = file_of(removed.clone()).into_iter().collect();
        Some((removed, dropped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(file: &str) -> ObjectMeta {
        ObjectMeta {
            key: "k".into(),
            file: file.into(),
            size: 1,
            ..Default::default()
        }
    }

    #[test]
    fn unversioned_overwrite_drops_old_file() {
        let mut k = KeyState::default();
        assert!(k.put(obj("f1"), Mode::Unversioned, "v1".into()).is_empty());
        assert_eq!(k.put(obj("f2"), Mode::Unversioned, "v2".into()), ["f1"]);
        assert!(k.history.is_empty());
        assert_eq!(k.current.as_ref().unwrap().version_id, None);
    }

    #[test]
    fn enabled_keeps_versions_and_markers() {
        let mut k = KeyState::default();
        k.put(obj("f1"), Mode::Enabled, "v1".into());
        k.put(obj("f2"), Mode::Enabled, "v2".into());
        assert_eq!(k.history.len(), 1);
        let (dropped, marker) = k.delete("k", Mode::Enabled, "m1".into(), 5);
        assert!(dropped.is_empty());
        assert_eq!(marker.unwrap().version_id.as_deref(), Some("m1"));
        assert!(k.marker_is_latest());
        // Removing the marker restores the previous version.
        let (removed, files) = k.delete_version("m1").unwrap();
        assert!(removed.delete_marker && files.is_empty());
        assert_eq!(
            k.current.as_ref().unwrap().version_id.as_deref(),
            Some("v2")
        );
        // Removing an old version drops only its file.
        let (_, files) = k.delete_version("v1").unwrap();
        assert_eq!(files, ["f1"]);
        assert!(k.delete_version("nope").is_none());
        assert!(k.find("v2").is_some() && k.find("v1").is_none());
    }

    #[test]
    fn suspended_replaces_the_null_version() {
        let mut k = KeyState::default();
        k.put(obj("f0"), Mode::Unversioned, "x".into());
        k.put(obj("f1"), Mode::Enabled, "v1".into());
        // The pre-versioning object is the null version, kept in history.
        assert_eq!(k.history[0].version_id, None);
        let dropped = k.put(obj("f2"), Mode::Suspended, "y".into());
        assert_eq!(dropped, ["f0"]);
        assert_eq!(k.current.as_ref().unwrap().version_id, None);
        assert_eq!(k.history.len(), 1);
        let (dropped, marker) = k.delete("k", Mode::Suspended, "z".into(), 1);
        assert_eq!(dropped, ["f2"]);
        assert_eq!(marker.unwrap().version_id, None);
        assert!(k.find("null").unwrap().delete_marker);
    }
}
