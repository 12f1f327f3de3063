//! The network an instance runs in: a namespace per VPC holding a bridge
//! with each subnet's gateway address (`.1`), and a namespace per instance
//! joined to that bridge by a veth pair, with the instance's private
//! address on `eth0`. The metadata address is on the VPC namespace's
//! loopback, reached through the gateway as on AWS. VPCs never
//! touch the host's routes, so overlapping CIDRs coexist; the host reaches
//! into a VPC only through [`in_namespace`].
//!
//! One more namespace stands for the internet (`stratus<port>-inet`): each
//! VPC's namespace has an uplink into it, and it routes each public
//! address that answers to its VPC's uplink. It has no way off the
//! machine. Firewalls are nftables rulesets applied inside namespaces.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::OnceLock;

pub const METADATA_IP: &str = "169.254.169.254";
/// The Amazon-provided DNS address every VPC has.
pub const DNS_IP: &str = "169.254.169.253";

/// Every namespace a server makes starts with `stratus<port>-`, so servers
/// on other ports (tests run several) never touch each other's.
static PREFIX: OnceLock<String> = OnceLock::new();

pub fn set_scope(port: u16) {
    let _ = PREFIX.set(format!("stratus{port}-"));
}

fn prefix() -> &'static str {
    PREFIX.get().map_or("stratus-", String::as_str)
}

/// The name this server's control groups live under (`stratus<port>`).
pub fn scope() -> &'static str {
    prefix().trim_end_matches('-')
}

pub fn vpc_ns(vpc: &str) -> String {
    format!("{}{vpc}", prefix())
}

/// The namespace that stands for the internet.
pub fn inet_ns() -> String {
    format!("{}inet", prefix())
}

/// An address in the internet namespace where a user (or a test) can run
/// a server that instances reach through their internet or NAT gateway.
pub const INTERNET_HOST: &str = "192.0.0.8";

pub fn instance_ns(id: &str) -> String {
    format!("{}{id}", prefix())
}

/// The VPC-side end of an instance's veth (interface names stop at 15).
fn host_veth(id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("v{tail}")
}

fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip").args(args).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Runs `ip` and ignores "already exists" answers, for idempotent setup.
fn ip_idempotent(args: &[&str]) -> io::Result<()> {
    match ip(args) {
        Err(e)
            if e.to_string().contains("File exists")
                || e.to_string().contains("already assigned") =>
        {
            Ok(())
        }
        r => r,
    }
}

fn exists(ns: &str) -> bool {
    std::path::Path::new("/var/run/netns").join(ns).exists()
}

/// The internet end of a VPC's uplink (interface names stop at 15).
fn inet_veth(vpc: &str) -> String {
    let tail: String = vpc
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("u{tail}")
}

/// The uplink's two addresses (internet side, VPC side) for the `n`th VPC:
/// a /30 of link-local space below 169.254.128.0, away from the
/// metadata addresses.
pub fn uplink_addresses(n: u16) -> (String, String) {
    let base = u32::from(std::net::Ipv4Addr::new(169, 254, 0, 0)) + 4 * u32::from(n % 8192);
    (
        std::net::Ipv4Addr::from(base + 1).to_string(),
        std::net::Ipv4Addr::from(base + 2).to_string(),
    )
}

/// Whether this machine lets us make namespaces (root and iproute2).
pub fn available() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    root && Command::new("ip")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The VPC's namespace and bridge, made on first use.
pub fn ensure_vpc(vpc: &str) -> io::Result<()> {
    let ns = vpc_ns(vpc);
    if !exists(&ns) {
        ip(&["netns", "add", &ns])?;
    }
    ip_idempotent(&["-n", &ns, "link", "add", "br0", "type", "bridge"])?;
    ip(&["-n", &ns, "link", "set", "br0", "up"])?;
    ip(&["-n", &ns, "link", "set", "lo", "up"])?;
    ip_idempotent(&[
        "-n",
        &ns,
        "addr",
        "add",
        &format!("{METADATA_IP}/32"),
        "dev",
        "lo",
    ])?;
    ip_idempotent(&[
        "-n",
        &ns,
        "addr",
        "add",
        &format!("{DNS_IP}/32"),
        "dev",
        "lo",
    ])?;
    // The VPC router: subnets reach each other through their gateways.
    in_namespace(&ns, || std::fs::write("/proc/sys/net/ipv4/ip_forward", "1"))
}

/// Whether `nft` is installed, for firewalls.
pub fn nft_available() -> bool {
    Command::new("nft")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Applies a whole ruleset file inside a namespace, atomically.
pub fn apply_ruleset(ns: &str, text: &str) -> io::Result<()> {
    use std::io::Write;
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "nft in {ns}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The internet's namespace, made on first use.
fn ensure_inet() -> io::Result<()> {
    let ns = inet_ns();
    if !exists(&ns) {
        ip(&["netns", "add", &ns])?;
    }
    ip(&["-n", &ns, "link", "set", "lo", "up"])?;
    ip_idempotent(&[
        "-n",
        &ns,
        "addr",
        "add",
        &format!("{INTERNET_HOST}/32"),
        "dev",
        "lo",
    ])?;
    // It carries traffic between VPCs' public addresses.
    in_namespace(&ns, || std::fs::write("/proc/sys/net/ipv4/ip_forward", "1"))
}

/// The VPC's uplink into the internet's namespace (`up0` on the VPC's
/// side, its default route), made on first use.
pub fn ensure_uplink(vpc: &str, n: u16) -> io::Result<()> {
    ensure_inet()?;
    let inet = inet_ns();
    let vns = vpc_ns(vpc);
    let outer = inet_veth(vpc);
    let (ours, theirs) = uplink_addresses(n);
    let _ = ip(&["-n", &inet, "link", "del", &outer]);
    ip(&[
        "-n", &inet, "link", "add", &outer, "type", "veth", "peer", "name", "up0", "netns", &vns,
    ])?;
    ip(&[
        "-n",
        &inet,
        "addr",
        "add",
        &format!("{ours}/30"),
        "dev",
        &outer,
    ])?;
    ip(&[
        "-n",
        &vns,
        "addr",
        "add",
        &format!("{theirs}/30"),
        "dev",
        "up0",
    ])?;
    ip(&["-n", &inet, "link", "set", &outer, "up"])?;
    ip(&["-n", &vns, "link", "set", "up0", "up"])?;
    ip(&["-n", &vns, "route", "replace", "default", "via", &ours])
}

/// Routes a public address, in the internet's namespace, to a VPC's uplink.
pub fn announce(n: u16, public: &str) -> io::Result<()> {
    let (_, theirs) = uplink_addresses(n);
    ip(&[
        "-n",
        &inet_ns(),
        "route",
        "replace",
        &format!("{public}/32"),
        "via",
        &theirs,
    ])
}

/// Stops routing a public address anywhere.
pub fn withdraw(public: &str) {
    let _ = ip(&["-n", &inet_ns(), "route", "del", &format!("{public}/32")]);
}

/// Removes a VPC's namespace, its uplink with it.
pub fn remove_vpc(vpc: &str) {
    let _ = ip(&["-n", &inet_ns(), "link", "del", &inet_veth(vpc)]);
    if exists(&vpc_ns(vpc)) {
        let _ = ip(&["netns", "del", &vpc_ns(vpc)]);
    }
}

/// A subnet's gateway (`.1` of its block) on the VPC's bridge.
pub fn ensure_gateway(vpc: &str, gateway_cidr: &str) -> io::Result<()> {
    ip_idempotent(&[
        "-n",
        &vpc_ns(vpc),
        "addr",
        "add",
        gateway_cidr,
        "dev",
        "br0",
    ])
}

/// The instance's namespace, wired to its VPC's bridge.
pub fn plug_instance(vpc: &str, id: &str, address_cidr: &str, gateway: &str) -> io::Result<()> {
    let ns = instance_ns(id);
    let vns = vpc_ns(vpc);
    unplug_instance(vpc, id);
    ip(&["netns", "add", &ns])?;
    let outer = host_veth(id);
    ip(&[
        "-n", &vns, "link", "add", &outer, "type", "veth", "peer", "name", "eth0", "netns", &ns,
    ])?;
    ip(&["-n", &vns, "link", "set", &outer, "master", "br0"])?;
    ip(&["-n", &vns, "link", "set", &outer, "up"])?;
    ip(&["-n", &ns, "link", "set", "lo", "up"])?;
    ip(&["-n", &ns, "addr", "add", address_cidr, "dev", "eth0"])?;
    ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
    ip(&["-n", &ns, "route", "add", "default", "via", gateway])
}

/// Waits until the instance reaches the metadata service through its
/// gateway (a new link takes a moment to carry traffic), as cloud-init
/// waits for the network before it runs user data.
pub fn wait_for_network(id: &str, within: std::time::Duration) -> io::Result<()> {
    let deadline = std::time::Instant::now() + within;
    let addr: std::net::SocketAddr = format!("{METADATA_IP}:80").parse().expect("static address");
    in_namespace(&instance_ns(id), move || {
        loop {
            match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(50))
            {
                Ok(_) => return Ok(()),
                Err(e) if std::time::Instant::now() >= deadline => return Err(e),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
    })
}

/// Removes an instance's namespace (its veth pair goes with it).
pub fn unplug_instance(vpc: &str, id: &str) {
    let _ = ip(&["-n", &vpc_ns(vpc), "link", "del", &host_veth(id)]);
    if exists(&instance_ns(id)) {
        let _ = ip(&["netns", "del", &instance_ns(id)]);
    }
}

/// Removes every namespace this runtime made (at start, after a crash,
/// and at shutdown).
pub fn remove_all() {
    let Ok(dir) = std::fs::read_dir("/var/run/netns") else {
        return;
    };
    let ours: Vec<String> = dir
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(prefix()))
        .collect();
    kill_inside(&ours);
    // One `ip` for all of them: hundreds of instances go in a moment.
    let script: String = ours.iter().map(|ns| format!("netns del {ns}\n")).collect();
    if script.is_empty() {
        return;
    }
    let child = Command::new("ip")
        .args(["-force", "-batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Ok(mut child) = child {
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            let _ = stdin.write_all(script.as_bytes());
        }
        let _ = child.wait();
    }
}

/// Kills every process left in these namespaces (after a crash of the
/// server that started them): one pass over `/proc`, matching each
/// process's network namespace by inode, where `ip netns pids` would scan
/// every process once per namespace.
fn kill_inside(namespaces: &[String]) {
    use std::os::unix::fs::MetadataExt;
    // Namespace files are on nsfs: a name whose mount a crash left
    // undone is a plain file, which must match no process.
    let Ok(nsfs) = std::fs::metadata("/proc/self/ns/net").map(|m| m.dev()) else {
        return;
    };
    let inodes: std::collections::HashSet<u64> = namespaces
        .iter()
        .filter_map(|ns| std::fs::metadata(format!("/var/run/netns/{ns}")).ok())
        .filter(|m| m.dev() == nsfs)
        .map(|m| m.ino())
        .collect();
    if inodes.is_empty() {
        return;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for e in procs.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        let inside = std::fs::metadata(format!("/proc/{pid}/ns/net"))
            .is_ok_and(|m| m.dev() == nsfs && inodes.contains(&m.ino()));
        if inside {
            // SAFETY: kill has no memory preconditions.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// An interface's counters since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
}

impl Counters {
    /// The traffic between an earlier reading and this one.
    pub fn since(&self, earlier: &Counters) -> crate::metrics::Traffic {
        crate::metrics::Traffic {
            bytes_in: self.rx_bytes.saturating_sub(earlier.rx_bytes),
            bytes_out: self.tx_bytes.saturating_sub(earlier.tx_bytes),
            packets_in: self.rx_packets.saturating_sub(earlier.rx_packets),
            packets_out: self.tx_packets.saturating_sub(earlier.tx_packets),
        }
    }
}

/// One interface's counters in the text of `/proc/net/dev`.
fn parse_net_dev(text: &str, interface: &str) -> Option<Counters> {
    text.lines().find_map(|line| {
        let (name, rest) = line.split_once(':')?;
        if name.trim() != interface {
            return None;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        Some(Counters {
            rx_bytes: *f.first()?,
            rx_packets: *f.get(1)?,
            tx_bytes: *f.get(8)?,
            tx_packets: *f.get(9)?,
        })
    })
}

/// The counters of `eth0` in the network namespace of process `pid` (an
/// instance's init), as the instance sees them; loopback traffic is not
/// the instance's network, as on AWS.
pub fn counters(pid: u32) -> Option<Counters> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok()?;
    parse_net_dev(&text, "eth0")
}

/// Runs `f` on a fresh thread that has entered the namespace `ns`, so
/// sockets it opens live there; the caller's threads are untouched.
pub fn in_namespace<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = File::open(&path)?;
        // SAFETY: setns on this thread only, with a namespace fd we hold
        // open for the call; the thread ends after `f`.
        let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        f()
    })
    .join()
    .map_err(|_| io::Error::other("namespace thread panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_the_interface_limit() {
        assert_eq!(host_veth("i-0123456789abcdef0"), "v56789abcdef0");
        assert!(host_veth("i-0123456789abcdef0").len() <= 15);
        assert!(instance_ns("i-1").ends_with("-i-1"));
        assert_eq!(inet_veth("vpc-0123456789abcdef0"), "u56789abcdef0");
        assert!(inet_ns().ends_with("-inet"));
    }

    #[test]
    fn interface_counters_come_from_proc_net_dev() {
        let text = "Inter-|   Receive                                                |  Transmit\n \
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n\
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n\
  eth0:    5000      40    0    0    0     0          0         0     7000      50    0    0    0     0       0          0\n";
        let c = parse_net_dev(text, "eth0").unwrap();
        assert_eq!(
            c,
            Counters {
                rx_bytes: 5000,
                rx_packets: 40,
                tx_bytes: 7000,
                tx_packets: 50
            }
        );
        let t = c.since(&Counters {
            rx_bytes: 1000,
            rx_packets: 10,
            tx_bytes: 7000,
            tx_packets: 60,
        });
        assert_eq!(
            (t.bytes_in, t.packets_in, t.bytes_out, t.packets_out),
            (4000, 30, 0, 0)
        );
        assert!(parse_net_dev(text, "eth1").is_none());
    }

    #[test]
    fn uplinks_get_their_own_link_local_pair() {
        assert_eq!(
            uplink_addresses(0),
            ("169.254.0.1".to_string(), "169.254.0.2".to_string())
        );
        assert_eq!(
            uplink_addresses(64),
            ("169.254.1.1".to_string(), "169.254.1.2".to_string())
        );
        let (a, _) = uplink_addresses(8191);
        assert_eq!(a, "169.254.127.253");
    }
}
