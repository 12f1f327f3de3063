//! Wildcard patterns as IAM uses them: `*` any run, `?` one character.
//! Characters that came from policy variables are literal even if they are
//! `*` or `?`, so patterns are token lists rather than strings.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Lit(char),
    Star,
    One,
}

/// A pattern where every `*` and `?` is a wildcard.
pub fn parse(pattern: &str) -> Vec<Tok> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect()
}

/// The pattern's text with wildcards written back as `*` and `?`.
pub fn to_text(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::Star => '*',
            Tok::One => '?',
        })
        .collect()
}

fn eq(a: char, b: char, fold: bool) -> bool {
    if fold {
        a.to_lowercase().eq(b.to_lowercase())
    } else {
        a == b
    }
}

/// Iterative matching with single-star backtracking: linear in practice and
/// never recursive, so hostile patterns cannot blow the stack.
pub fn matches(toks: &[Tok], text: &str, fold: bool) -> bool {
    let t: Vec<char> = text.chars().collect();
    let (mut p, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while s < t.len() {
        match toks.get(p) {
            Some(Tok::One) => {
                p += 1;
                s += 1;
            }
            Some(Tok::Lit(c)) if eq(*c, t[s], fold) => {
                p += 1;
                s += 1;
            }
            Some(Tok::Star) => {
                star = Some((p, s));
                p += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    p = sp + 1;
                    s = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    toks[p.min(toks.len())..].iter().all(|t| *t == Tok::Star)
}

/// Convenience: a plain-string pattern against a text.
pub fn like(pattern: &str, text: &str, fold: bool) -> bool {
    matches(&parse(pattern), text, fold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(like("*", "", false));
        assert!(like("s3:Get*", "s3:GetObject", false));
        assert!(!like("s3:Get*", "s3:PutObject", false));
        assert!(like("iam:*AccessKey*", "iam:CreateAccessKey", false));
        assert!(like(
            "ec2:Describe?nstances",
            "ec2:DescribeInstances",
            false
        ));
        assert!(!like("a?c", "ac", false));
        assert!(like(
            "arn:aws:s3:::bucket/*/x",
            "arn:aws:s3:::bucket/a/b/x",
            false
        ));
        assert!(!like(
            "arn:aws:s3:::bucket/*/x",
            "arn:aws:s3:::bucket/a/b/y",
            false
        ));
        assert!(like("*a*a*a*b", "aaaaaaaaaaaaaaaaaaab", false));
    }

    #[test]
    fn case_folding() {
        assert!(like("S3:getobject", "s3:GetObject", true));
        assert!(!like("S3:getobject", "s3:GetObject", false));
    }

    #[test]
    fn literal_wildcards() {
        let toks = vec![Tok::Lit('a'), Tok::Lit('*')];
        assert!(matches(&toks, "a*", false));
        assert!(!matches(&toks, "ab", false));
    }
}
