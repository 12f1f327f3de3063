//! The reduced instance runtime, for a Stratus that is not root. Each
//! instance gets user, network, PID, mount and UTS namespaces of its own
//! (unprivileged user namespaces, where it is root), with its private
//! address and the metadata address on its loopback. No bridge joins
//! instances to each other or to a VPC, and nothing is enforced.
//!
//! Stratus reaches an instance through its door: a socket listening on the
//! host's loopback that the instance's relay process (`stratus
//! instance-relay`, started by the instance's init) inherits and accepts on
//! from inside; each connection opens with the port it is for, and the
//! relay answers one byte, whether it reached that port inside. The
//! instance reaches the metadata service and Stratus's API through Unix
//! sockets Stratus listens on, which the relay joins to
//! 169.254.169.254:80 and :4566. The relay listens there from a network
//! namespace of its own, joined to the instance's by a veth pair, so that
//! a server in the instance may still listen on every address at port 80.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::netns::METADATA_IP;

/// The descriptor the door has in the instance's processes.
pub const DOOR_FD: RawFd = 3;

/// Whether unprivileged user namespaces with a network namespace work here.
pub fn available() -> bool {
    Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--net",
            "--",
            "ip",
            "link",
            "set",
            "lo",
            "up",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Unix sockets of one instance: the metadata service and the API.
pub fn sockets(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("imds.sock"), dir.join("api.sock"))
}

/// A new door on the host's loopback, and its port.
pub fn door() -> io::Result<(TcpListener, u16)> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let port = l.local_addr()?.port();
    Ok((l, port))
}

/// The init's first lines inside the namespaces: the loopback with the
/// instance's address, then the relay, which alone keeps the door; the
/// init goes on once the relay listens (it says so through a FIFO), so
/// user data finds the metadata service.
pub fn init_prefix(exe: &Path, private_ip: &str, dir: &Path) -> String {
    let (imds, api) = sockets(dir);
    let q = |p: &Path| super::disk::shell_quote(&p.to_string_lossy());
    format!(
        "ip link set lo up && ip addr add {private_ip}/32 dev lo || exit 1\n\
         rm -f {ready} && mkfifo {ready} || exit 1\n\
         {exe} instance-relay {private_ip} {imds} {api} >{ready} &\n\
         read _ready <{ready}; rm -f {ready}; exec {DOOR_FD}>&-\n",
        exe = q(exe),
        imds = q(&imds),
        api = q(&api),
        ready = q(&dir.join("ready")),
    )
}

/// The relay's answer when it reached the port inside.
const REACHED: u8 = 1;

/// A connection to `port` of the instance behind the door at `door`:
/// refused as a direct connection would be when nothing listens there.
pub fn dial(door: u16, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let mut s =
        TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, door)), timeout)?;
    s.write_all(&port.to_be_bytes())?;
    s.set_read_timeout(Some(timeout))?;
    let mut answer = [0u8; 1];
    match s.read_exact(&mut answer) {
        Ok(()) if answer[0] == REACHED => {
            s.set_read_timeout(None)?;
            Ok(s)
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Err(io::ErrorKind::TimedOut.into())
        }
        _ => Err(io::ErrorKind::ConnectionRefused.into()),
    }
}

/// Whether accepting on a listener can never succeed again.
fn broken(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EBADF | libc::ENOTSOCK | libc::EINVAL)
    )
}

/// Accepts until the listener breaks, pausing while descriptors run out.
fn accept_each(l: &TcpListener, mut f: impl FnMut(TcpStream)) {
    loop {
        match l.accept() {
            Ok((c, _)) => f(c),
            Err(e) if broken(&e) => return,
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A stream that can be read and written from two threads at once.
trait Duplex: Read + Write + Send + Sized + 'static {
    fn twin(&self) -> io::Result<Self>;
    fn close_write(&self);
}

impl Duplex for TcpStream {
    fn twin(&self) -> io::Result<Self> {
        self.try_clone()
    }
    fn close_write(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

impl Duplex for UnixStream {
    fn twin(&self) -> io::Result<Self> {
        self.try_clone()
    }
    fn close_write(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

fn pump<A: Duplex, B: Duplex>(mut from: A, mut to: B) {
    let _ = io::copy(&mut from, &mut to);
    to.close_write();
}

/// Carries bytes both ways until both sides have finished.
fn splice<A: Duplex, B: Duplex>(a: A, b: B) -> io::Result<()> {
    let (a2, b2) = (a.twin()?, b.twin()?);
    let back = std::thread::spawn(move || pump(b2, a2));
    pump(a, b);
    let _ = back.join();
    Ok(())
}

/// Joins each connection to `inside` (an address inside the instance) to
/// the Unix socket at `to`.
fn outward(inside: TcpListener, to: PathBuf) {
    accept_each(&inside, |c| {
        let to = to.clone();
        std::thread::spawn(move || {
            if let Ok(u) = UnixStream::connect(&to) {
                let _ = splice(c, u);
            }
        });
    });
}

fn ip(args: &[&str], netns: Option<RawFd>) -> io::Result<()> {
    let mut cmd = Command::new("ip");
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null());
    if let Some(fd) = netns {
        // SAFETY: only setns between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let out = cmd.output()?;
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

/// Moves this process into a network namespace of its own that holds the
/// metadata address, joined to the instance's (`ip`) by a veth pair.
fn own_namespace(ip_addr: Ipv4Addr) -> io::Result<()> {
    let instance = std::fs::File::open("/proc/self/ns/net")?;
    ip(
        &[
            "link", "add", "meta0", "type", "veth", "peer", "name", "meta1",
        ],
        None,
    )?;
    ip(&["link", "set", "meta0", "up"], None)?;
    ip(
        &["route", "add", &format!("{METADATA_IP}/32"), "dev", "meta0"],
        None,
    )?;
    // SAFETY: unshare has no memory-safety preconditions.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let pid = std::process::id().to_string();
    ip(
        &["link", "set", "meta1", "netns", &pid],
        Some(instance.as_raw_fd()),
    )?;
    ip(&["link", "set", "lo", "up"], None)?;
    ip(
        &["addr", "add", &format!("{METADATA_IP}/32"), "dev", "meta1"],
        None,
    )?;
    ip(&["link", "set", "meta1", "up"], None)?;
    ip(
        &["route", "add", &format!("{ip_addr}/32"), "dev", "meta1"],
        None,
    )
}

/// The relay's work, inside the instance's namespaces, until it is killed
/// with them.
pub fn relay(ip: Ipv4Addr, imds: PathBuf, api: PathBuf) -> io::Result<()> {
    // SAFETY: the init hands the door over at DOOR_FD and keeps no copy;
    // nothing else in this process owns that descriptor.
    let door = unsafe { TcpListener::from_raw_fd(DOOR_FD) };
    own_namespace(ip)?;
    let meta = TcpListener::bind((METADATA_IP, 80))?;
    let api_in = TcpListener::bind((METADATA_IP, 4566))?;
    std::thread::spawn(move || outward(meta, imds));
    std::thread::spawn(move || outward(api_in, api));
    // The init waits for this line before it runs user data.
    let _ = io::stdout().write_all(b"ready\n");
    accept_each(&door, |mut c| {
        std::thread::spawn(move || {
            let mut port = [0u8; 2];
            if c.read_exact(&mut port).is_err() {
                return;
            }
            match TcpStream::connect((ip, u16::from_be_bytes(port))) {
                Ok(inside) => {
                    if c.write_all(&[REACHED]).is_ok() {
                        let _ = splice(c, inside);
                    }
                }
                Err(_) => {
                    let _ = c.write_all(&[0]);
                }
            }
        });
    });
    Err(io::Error::other("the door closed"))
}

/// Makes `fd` the door of the process about to be executed.
///
/// # Safety
/// Runs between fork and exec: only async-signal-safe calls.
pub unsafe fn hand_over(fd: RawFd) -> io::Result<()> {
    // SAFETY: dup2 and fcntl are async-signal-safe. dup2's copy is not
    // close-on-exec, so it survives into the init; a descriptor that is
    // already DOOR_FD only loses its close-on-exec flag.
    let r = if fd == DOOR_FD {
        unsafe { libc::fcntl(fd, libc::F_SETFD, 0) }
    } else {
        unsafe { libc::dup2(fd, DOOR_FD) }
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The raw descriptor of a door, for [`hand_over`].
pub fn raw(door: &TcpListener) -> RawFd {
    door.as_raw_fd()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_splice_carries_both_ways_and_ends_with_both_sides() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let echo = std::thread::spawn(move || {
            let (mut s, _) = server.accept().unwrap();
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let front = TcpListener::bind("127.0.0.1:0").unwrap();
        let front_addr = front.local_addr().unwrap();
        std::thread::spawn(move || {
            let (c, _) = front.accept().unwrap();
            splice(c, TcpStream::connect(addr).unwrap()).unwrap();
        });
        let mut c = TcpStream::connect(front_addr).unwrap();
        c.write_all(b"hello").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).unwrap();
        assert_eq!(back, b"hello");
        echo.join().unwrap();
    }

    #[test]
    fn a_dial_is_refused_when_the_relay_reaches_nothing_inside() {
        let door = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = door.local_addr().unwrap().port();
        let relay = std::thread::spawn(move || {
            for answer in [0u8, REACHED] {
                let (mut c, _) = door.accept().unwrap();
                let mut p = [0u8; 2];
                c.read_exact(&mut p).unwrap();
                assert_eq!(u16::from_be_bytes(p), 8080);
                c.write_all(&[answer]).unwrap();
            }
        });
        let e = dial(port, 8080, Duration::from_secs(2)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        assert!(dial(port, 8080, Duration::from_secs(2)).is_ok());
        relay.join().unwrap();
    }

    #[test]
    fn the_init_keeps_the_door_for_the_relay_only() {
        let p = init_prefix(
            Path::new("/usr/bin/stratus"),
            "10.0.1.5",
            Path::new("/run/i-1"),
        );
        assert!(p.contains("ip addr add 10.0.1.5/32 dev lo"));
        assert!(
            !p.contains("169.254.169.254"),
            "the metadata address is the relay's"
        );
        assert!(p.contains(
            "'/usr/bin/stratus' instance-relay 10.0.1.5 '/run/i-1/imds.sock' '/run/i-1/api.sock' >'/run/i-1/ready'"
        ));
        assert!(p.contains("read _ready <'/run/i-1/ready'"));
        assert!(p.contains("exec 3>&-"));
    }
}
