//! What a durable commit costs on this machine, beside the floor the disk
//! sets (one write + fsync of a log file):
//! `cargo run --release -p stratus-store --example store_bench [DIR]`.

use std::io::Write;
use std::time::Instant;

use stratus_store::{Batch, FsyncPolicy, Store};

const N: usize = 2000;

fn per_sec(n: usize, t: std::time::Duration) -> f64 {
    n as f64 / t.as_secs_f64()
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("stratus-store-bench-{}", std::process::id()))
        });
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let value = vec![b'x'; 512];

    // The floor: append 512 bytes and fsync, N times.
    let mut log = std::fs::File::create(dir.join("floor.log")).expect("log file");
    let t = Instant::now();
    for _ in 0..N {
        log.write_all(&value).expect("write");
        log.sync_data().expect("fsync");
    }
    let floor = per_sec(N, t.elapsed());

    let store = Store::open_with(&dir.join("redb"), FsyncPolicy::Always).expect("open store");
    let t = Instant::now();
    for i in 0..N {
        let mut b = Batch::new();
        b.put("bench", format!("key/{i:08}"), value.clone());
        store.commit(b).expect("commit");
    }
    let single = per_sec(N, t.elapsed());

    let t = Instant::now();
    for chunk in 0..(N / 100) {
        let mut b = Batch::new();
        for i in 0..100 {
            b.put(
                "bench",
                format!("batch/{:08}", chunk * 100 + i),
                value.clone(),
            );
        }
        store.commit(b).expect("commit");
    }
    let batched = per_sec(N, t.elapsed());

    // 16 writers at once, as 16 concurrent requests would: they share fsyncs.
    let t = Instant::now();
    std::thread::scope(|sc| {
        for w in 0..16 {
            let store = store.clone();
            let value = value.clone();
            sc.spawn(move || {
                for i in 0..(N / 16) {
                    let mut b = Batch::new();
                    b.put("bench", format!("w{w:02}/{i:08}"), value.clone());
                    store.commit(b).expect("commit");
                }
            });
        }
    });
    let concurrent = per_sec(N / 16 * 16, t.elapsed());

    let t = Instant::now();
    for i in 0..N {
        store
            .get("bench", format!("key/{i:08}").as_bytes())
            .expect("get");
    }
    let reads = per_sec(N, t.elapsed());

    // `--fsync interval`: the log write and a non-durable commit, no fsync.
    let logged = Store::open_with(&dir.join("logged"), FsyncPolicy::Interval).expect("open");
    let t = Instant::now();
    for i in 0..N * 10 {
        let mut b = Batch::new();
        b.put("bench", format!("key/{i:08}"), value.clone());
        logged.commit(b).expect("commit");
    }
    let interval = per_sec(N * 10, t.elapsed());
    drop(logged);

    let mem = Store::ephemeral();
    let t = Instant::now();
    for i in 0..N * 10 {
        let mut b = Batch::new();
        b.put("bench", format!("key/{i:08}"), value.clone());
        mem.commit(b).expect("commit");
    }
    let memory = per_sec(N * 10, t.elapsed());

    println!("durable floor (write+fsync of a log): {floor:>10.0} /s");
    println!(
        "redb durable commit, 1 put each:      {single:>10.0} /s ({:.0}% of the floor)",
        single / floor * 100.0
    );
    println!("redb durable commit, 100 puts each:   {batched:>10.0} puts/s");
    println!("redb durable commit, 16 writers:      {concurrent:>10.0} /s (group commit)");
    println!("redb point reads:                     {reads:>10.0} /s");
    println!("interval commits (--fsync interval):  {interval:>10.0} /s");
    println!("memory engine commits (--ephemeral):  {memory:>10.0} /s");
    let _ = std::fs::remove_dir_all(&dir);
}
