//! Conditional request headers (RFC 7232 as S3 applies them).

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Proceed,
    NotModified,
    PreconditionFailed,
}

/// An `If-Match`/`If-None-Match` value: `*` or an entity tag (quotes optional).
#[derive(Debug, Clone)]
pub enum Tag {
    Any,
    Is(String),
}

impl Tag {
    pub fn from_condition(c: &s3s::dto::ETagCondition) -> Tag {
        match c {
            s3s::dto::ETagCondition::Any => Tag::Any,
            s3s::dto::ETagCondition::ETag(e) => Tag::Is(e.value().to_string()),
        }
    }

    fn matches(&self, etag: &str) -> bool {
        match self {
            Tag::Any => true,
            Tag::Is(t) => t.trim_matches('"') == etag,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Conditions {
    pub if_match: Option<Tag>,
    pub if_none_match: Option<Tag>,
    pub if_modified_since_ms: Option<i64>,
    pub if_unmodified_since_ms: Option<i64>,
}

/// For reads (GET, HEAD, copy sources). `etag` without quotes; times compare
/// at whole seconds, as HTTP dates carry them.
pub fn evaluate(c: &Conditions, etag: &str, last_modified_ms: i64, now_ms: i64) -> Outcome {
    let modified = last_modified_ms.div_euclid(1000);
    match &c.if_match {
        Some(t) if !t.matches(etag) => return Outcome::PreconditionFailed,
        Some(_) => {}
        None => {
            if c.if_unmodified_since_ms
                .is_some_and(|t| modified > t.div_euclid(1000))
            {
                return Outcome::PreconditionFailed;
            }
        }
    }
    match &c.if_none_match {
        Some(t) if t.matches(etag) => return Outcome::NotModified,
        Some(_) => {}
        None => {
            if c.if_modified_since_ms
                .is_some_and(|t| t <= now_ms && modified <= t.div_euclid(1000))
            {
                return Outcome::NotModified;
            }
        }
    }
    Outcome::Proceed
}

#[cfg(test)]
mod tests {
    use super::*;

    const LM: i64 = 1_700_000_000_500;
    const NOW: i64 = 1_800_000_000_000;

    fn c() -> Conditions {
        Conditions::default()
    }

    #[test]
    fn if_match() {
        let mut x = c();
        x.if_match = Some(Tag::Is("\"abc\"".into()));
        assert_eq!(evaluate(&x, "abc", LM, NOW), Outcome::Proceed);
        assert_eq!(evaluate(&x, "def", LM, NOW), Outcome::PreconditionFailed);
        x.if_match = Some(Tag::Any);
        assert_eq!(evaluate(&x, "def", LM, NOW), Outcome::Proceed);
    }

    #[test]
    fn if_none_match_wins_over_modified_since() {
        let mut x = c();
        x.if_none_match = Some(Tag::Is("abc".into()));
        assert_eq!(evaluate(&x, "abc", LM, NOW), Outcome::NotModified);
        x.if_modified_since_ms = Some(LM + 10_000);
        assert_eq!(evaluate(&x, "other", LM, NOW), Outcome::Proceed);
    }

    #[test]
    fn dates() {
        let mut x = c();
        x.if_modified_since_ms = Some(LM - 500);
        assert_eq!(evaluate(&x, "e", LM, NOW), Outcome::NotModified);
        x.if_modified_since_ms = Some(LM - 2000);
        assert_eq!(evaluate(&x, "e", LM, NOW), Outcome::Proceed);
        let mut y = c();
        y.if_unmodified_since_ms = Some(LM - 2000);
        assert_eq!(evaluate(&y, "e", LM, NOW), Outcome::PreconditionFailed);
        // If-Match true overrides a failing If-Unmodified-Since.
        y.if_match = Some(Tag::Is("e".into()));
        assert_eq!(evaluate(&y, "e", LM, NOW), Outcome::Proceed);
    }
}
