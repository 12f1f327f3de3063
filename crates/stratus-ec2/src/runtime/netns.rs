//! The network an instance runs in: a namespace per VPC holding a bridge
//! with each subnet's gateway address (`.1`), and a namespace per instance
//! joined to that bridge by a veth pair, with the instance's private
//! address on `eth0`. The metadata address is on the VPC namespace's
//! loopback, reached through the gateway as on AWS. VPCs never
//! touch the host's routes, so overlapping CIDRs coexist; the host reaches
//! into a VPC only through [`in_namespace`].

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
    for ns in &ours {
        kill_inside(ns);
    }
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

/// Kills every process left in a namespace (after a crash of the server
/// that started them).
fn kill_inside(ns: &str) {
    let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() else {
        return;
    };
    for pid in String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok())
    {
        // SAFETY: kill has no memory preconditions.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
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
    }
}
