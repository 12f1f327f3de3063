//! A late-bound handle to another service. Services that call each other in
//! a cycle (CloudWatch alarms run Auto Scaling policies; Auto Scaling's
//! target tracking owns CloudWatch alarms) get an empty link at start, and
//! the App fills it once both exist.

use std::sync::{Arc, OnceLock};

pub struct Link<T: ?Sized>(Arc<OnceLock<Arc<T>>>);

impl<T: ?Sized> Link<T> {
    pub fn empty() -> Self {
        Link(Arc::new(OnceLock::new()))
    }

    pub fn to(target: Arc<T>) -> Self {
        let link = Link::empty();
        link.set(target);
        link
    }

    /// Fills the link; a second fill is ignored, the first target stays.
    pub fn set(&self, target: Arc<T>) {
        let _ = self.0.set(target);
    }

    /// The target, once the App has wired it.
    pub fn get(&self) -> Option<&Arc<T>> {
        self.0.get()
    }
}

impl<T: ?Sized> Clone for Link<T> {
    fn clone(&self) -> Self {
        Link(self.0.clone())
    }
}

impl<T: ?Sized> Default for Link<T> {
    fn default() -> Self {
        Link::empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_see_a_target_set_later() {
        let link: Link<str> = Link::empty();
        let seen_by = link.clone();
        assert!(seen_by.get().is_none());
        link.set(Arc::from("asg"));
        link.set(Arc::from("ignored"));
        assert_eq!(seen_by.get().map(|s| &**s), Some("asg"));
    }
}
