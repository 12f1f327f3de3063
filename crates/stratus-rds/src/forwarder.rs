//! The TCP forwarders behind an Aurora cluster's endpoints: a listener on
//! 127.0.0.1 that hands each connection to one of its targets (the writer's
//! server for the cluster endpoint, the readers' in turn for the reader
//! endpoint). Targets change under it as instances come and go or fail
//! over; the address and port stay.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddrV4, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

/// How long `stop` waits to wake the listener's blocked accept.
const WAKE_TIMEOUT: Duration = Duration::from_millis(200);

struct Shared {
    targets: Mutex<Vec<u16>>,
    next: AtomicUsize,
    stop: AtomicBool,
    /// Open connections (their target's port and both sides), closed when
    /// the forwarder stops or their target leaves the targets.
    open: Mutex<HashMap<u64, (u16, TcpStream, TcpStream)>>,
    seq: AtomicUsize,
}

pub struct Forwarder {
    port: u16,
    shared: Arc<Shared>,
}

impl Forwarder {
    /// Listens on 127.0.0.1 at `port`.
    pub fn start(port: u16) -> std::io::Result<Forwarder> {
        let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            targets: Mutex::new(Vec::new()),
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            open: Mutex::new(HashMap::new()),
            seq: AtomicUsize::new(0),
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name(format!("rds-endpoint-{port}"))
            .spawn(move || accept_loop(listener, s))?;
        Ok(Forwarder { port, shared })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The servers' ports new connections go to; none refuses them.
    /// Connections to a server no longer among them close, as AWS drops
    /// them on a failover: a pooled client must not go on writing to an
    /// old writer.
    pub fn set_targets(&self, targets: Vec<u16>) {
        let mut t = self.shared.targets.lock();
        if *t == targets {
            return;
        }
        *t = targets;
        self.shared.open.lock().retain(|_, (port, a, b)| {
            if t.contains(port) {
                return true;
            }
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
            false
        });
    }

    /// Stops listening and closes the connections it carries.
    pub fn stop(&self) {
        if self.shared.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // The listener blocks in accept: a connection wakes it to see the
        // flag and close.
        let _ = TcpStream::connect_timeout(
            &SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port).into(),
            WAKE_TIMEOUT,
        );
        for (_, (_, a, b)) in self.shared.open.lock().drain() {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
            Ok((client, _)) => {
                let s = shared.clone();
                let _ = std::thread::Builder::new()
                    .name("rds-endpoint-conn".into())
                    .spawn(move || serve(client, s));
            }
            // Out of descriptors and the like: let them free up.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The next target in turn.
fn pick(shared: &Shared) -> Option<u16> {
    let t = shared.targets.lock();
    if t.is_empty() {
        return None;
    }
    let i = shared.next.fetch_add(1, Ordering::Relaxed);
    Some(t[i % t.len()])
}

fn serve(client: TcpStream, shared: Arc<Shared>) {
    let _ = client.set_nonblocking(false);
    let Some(port) = pick(&shared) else {
        return;
    };
    let Ok(server) = TcpStream::connect(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let id = shared.seq.fetch_add(1, Ordering::Relaxed) as u64;
    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let (Ok(c3), Ok(s3)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    shared.open.lock().insert(id, (port, c3, s3));
    // A stop or a change of targets between the pick and the insert would
    // leave it open.
    if shared.stop.load(Ordering::SeqCst) || !shared.targets.lock().contains(&port) {
        let _ = client.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
    }
    let up = std::thread::Builder::new()
        .name("rds-endpoint-up".into())
        .spawn(move || pipe(c2, s2));
    pipe(server, client);
    if let Ok(h) = up {
        let _ = h.join();
    }
    shared.open.lock().remove(&id);
}

/// Copies `from` to `to` until either side closes, then closes both.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// The endpoints of every cluster, by cluster key: the cluster
/// endpoint's forwarder and the reader endpoint's.
#[derive(Default)]
pub struct Endpoints {
    by_cluster: Mutex<HashMap<String, (Forwarder, Forwarder)>>,
    /// Set once Stratus is exiting: no endpoint opens any more.
    shut: AtomicBool,
}

impl Endpoints {
    pub fn contains(&self, cluster: &str) -> bool {
        self.by_cluster.lock().contains_key(cluster)
    }

    /// Listens for a cluster at `port` and `port + 1`, or at another free
    /// pair when those are taken; answers the cluster endpoint's port.
    pub fn open(&self, cluster: &str, port: u16) -> std::io::Result<u16> {
        let mut map = self.by_cluster.lock();
        if let Some((w, _)) = map.get(cluster) {
            return Ok(w.port());
        }
        if self.shut.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("Stratus is stopping"));
        }
        let base = free_pair(port, &|_| false)
            .ok_or_else(|| std::io::Error::other("no two free neighbouring ports on 127.0.0.1"))?;
        let writer = Forwarder::start(base)?;
        let reader = Forwarder::start(base + 1)?;
        map.insert(cluster.to_string(), (writer, reader));
        Ok(base)
    }

    /// Points the cluster endpoint at `writer` and the reader endpoint at
    /// `readers` (at the writer when there are none).
    pub fn route(&self, cluster: &str, writer: Option<u16>, readers: Vec<u16>) {
        if let Some((w, r)) = self.by_cluster.lock().get(cluster) {
            w.set_targets(writer.into_iter().collect());
            r.set_targets(if readers.is_empty() {
                writer.into_iter().collect()
            } else {
                readers
            });
        }
    }

    pub fn close(&self, cluster: &str) {
        if let Some((w, r)) = self.by_cluster.lock().remove(cluster) {
            w.stop();
            r.stop();
        }
    }

    /// Closes the endpoints of clusters that no longer exist.
    pub fn retain(&self, exists: impl Fn(&str) -> bool) {
        self.by_cluster.lock().retain(|k, (w, r)| {
            if exists(k) {
                return true;
            }
            w.stop();
            r.stop();
            false
        });
    }

    /// No endpoint opens from now on (Stratus is exiting).
    pub fn shut(&self) {
        self.shut.store(true, Ordering::SeqCst);
    }

    pub fn close_all(&self) {
        for (_, (w, r)) in self.by_cluster.lock().drain() {
            w.stop();
            r.stop();
        }
    }
}

/// Two free neighbouring ports from `wanted` (the cluster endpoint and
/// the reader endpoint), or another free pair.
pub fn free_pair(wanted: u16, taken: &dyn Fn(u16) -> bool) -> Option<u16> {
    let free = |p: u16| !taken(p) && crate::engine::os::port_free(p);
    if wanted != 0 && wanted < u16::MAX && free(wanted) && free(wanted + 1) {
        return Some(wanted);
    }
    for _ in 0..50 {
        let p = crate::engine::os::free_port()?;
        if p < u16::MAX && free(p + 1) && !taken(p) {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo_server(tag: u8) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(mut c) = c else { break };
                std::thread::spawn(move || {
                    let mut b = [0u8; 64];
                    while let Ok(n) = c.read(&mut b) {
                        if n == 0 {
                            break;
                        }
                        let mut out = vec![tag];
                        out.extend_from_slice(&b[..n]);
                        if c.write_all(&out).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        port
    }

    fn ask(port: u16) -> Option<Vec<u8>> {
        let mut c = TcpStream::connect(("127.0.0.1", port)).ok()?;
        c.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        c.write_all(b"hi").ok()?;
        let mut b = [0u8; 3];
        c.read_exact(&mut b).ok()?;
        Some(b.to_vec())
    }

    #[test]
    fn connections_go_to_the_targets_in_turn() {
        let a = echo_server(b'a');
        let b = echo_server(b'b');
        let f = Forwarder::start(0).unwrap();
        f.set_targets(vec![a, b]);
        let mut seen = vec![ask(f.port()).unwrap()[0], ask(f.port()).unwrap()[0]];
        seen.sort();
        assert_eq!(seen, vec![b'a', b'b']);
        assert_eq!(&ask(f.port()).unwrap()[1..], b"hi");
        // The same port reaches the new target once it changes.
        f.set_targets(vec![b]);
        assert_eq!(ask(f.port()).unwrap()[0], b'b');
        assert_eq!(ask(f.port()).unwrap()[0], b'b');
    }

    #[test]
    fn connections_to_a_target_that_leaves_close() {
        let a = echo_server(b'a');
        let b = echo_server(b'b');
        let f = Forwarder::start(0).unwrap();
        f.set_targets(vec![a, b]);
        let open = |want: u8| loop {
            let mut c = TcpStream::connect(("127.0.0.1", f.port())).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            c.write_all(b"hi").unwrap();
            let mut got = [0u8; 3];
            c.read_exact(&mut got).unwrap();
            if got[0] == want {
                return c;
            }
        };
        let mut to_a = open(b'a');
        let mut to_b = open(b'b');
        f.set_targets(vec![b]);
        // The connection to the old target ends; the other carries on.
        let mut rest = Vec::new();
        match to_a.read_to_end(&mut rest) {
            Ok(n) => assert_eq!(n, 0),
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "still open: {e}"
            ),
        }
        to_b.write_all(b"go").unwrap();
        let mut got = [0u8; 3];
        to_b.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"bgo");
    }

    #[test]
    fn without_targets_connections_close_and_stop_frees_the_port() {
        let f = Forwarder::start(0).unwrap();
        let port = f.port();
        assert!(ask(port).is_none());
        f.stop();
        drop(f);
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while TcpListener::bind(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "port {port} still held"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn the_reader_endpoint_reaches_the_writer_while_there_are_no_readers() {
        let w = echo_server(b'w');
        let r = echo_server(b'r');
        let e = Endpoints::default();
        let port = e.open("c", 0).unwrap();
        assert_eq!(e.open("c", 0).unwrap(), port);
        e.route("c", Some(w), Vec::new());
        assert_eq!(ask(port).unwrap()[0], b'w');
        assert_eq!(ask(port + 1).unwrap()[0], b'w');
        e.route("c", Some(w), vec![r]);
        assert_eq!(ask(port).unwrap()[0], b'w');
        assert_eq!(ask(port + 1).unwrap()[0], b'r');
        // During a failover neither endpoint has a writer to reach.
        e.route("c", None, Vec::new());
        assert!(ask(port).is_none());
        e.close("c");
        assert!(!e.contains("c"));
    }

    #[test]
    fn endpoints_of_clusters_gone_close_and_none_open_once_shut() {
        let e = Endpoints::default();
        let a = e.open("a", 0).unwrap();
        e.open("b", 0).unwrap();
        e.retain(|k| k == "b");
        assert!(!e.contains("a") && e.contains("b"));
        assert!(ask(a).is_none());
        e.shut();
        assert!(e.open("c", 0).is_err());
        e.close_all();
        assert!(!e.contains("b"));
    }

    #[test]
    fn pairs_are_two_free_neighbours() {
        let p = free_pair(0, &|_| false).unwrap();
        assert!(crate::engine::os::port_free(p) && crate::engine::os::port_free(p + 1));
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let h = held.local_addr().unwrap().port();
        assert_ne!(free_pair(h, &|_| false), Some(h));
        assert_ne!(free_pair(h - 1, &|_| false), Some(h - 1));
    }
}
