//! Memory and reset time of the identity registry at scale:
//! `cargo run --release -p stratus-core --example identities_scale -- 200000`.

use std::time::Instant;

use stratus_core::{Identities, Identity, IdentityKind, ids};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let ids = Identities::new("000000000000");
    let before = rss_kib();
    let t = Instant::now();
    for _ in 0..n {
        ids.register(Identity {
            account_id: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/bench/s1".into(),
            user_id: "AROAEXAMPLEEXAMPLEEXA:s1".into(),
            kind: IdentityKind::AssumedRole,
            access_key: ids::key_id("ASIA", 16),
            secret_key: Some(ids::secret(40)),
            session_token: None,
            expires_ms: Some(i64::MAX),
            role_arn: Some("arn:aws:iam::123456789012:role/bench".into()),
            source_identity: None,
        });
    }
    let reg = t.elapsed();
    let after = rss_kib();
    let t = Instant::now();
    ids.forget_temporary();
    let reset = t.elapsed();
    println!(
        "{n} keys: register {:.0} ns/key, {:.0} bytes/key of RSS, reset {:.2} ms, RSS after reset {} KiB",
        reg.as_nanos() as f64 / n as f64,
        (after - before) as f64 * 1024.0 / n as f64,
        reset.as_secs_f64() * 1000.0,
        rss_kib()
    );
}
