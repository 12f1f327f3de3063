//! Server settings: flags, each with an environment variable.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// How EC2 instances run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InstanceRuntime {
    /// `process` where the machine allows it (root on Linux), else `none`.
    Auto,
    /// Instances are state only.
    None,
    /// Each running instance is a sandboxed process tree in its own network.
    Process,
}

/// When an acknowledged write reaches the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Fsync {
    /// Before it is acknowledged: every acknowledged write survives a power
    /// loss. One fsync per commit (shared by concurrent ones) and per object.
    Always,
    /// In the kernel before it is acknowledged, on disk within 200 ms: every
    /// acknowledged write survives a crash or kill of the process; a power
    /// loss may lose the last 200 ms.
    Interval,
}

impl From<Fsync> for stratus_store::FsyncPolicy {
    fn from(f: Fsync) -> Self {
        match f {
            Fsync::Always => stratus_store::FsyncPolicy::Always,
            Fsync::Interval => stratus_store::FsyncPolicy::Interval,
        }
    }
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback exposes every service to the network.
    #[arg(long, env = "STRATUS_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    #[arg(long, env = "STRATUS_PORT", default_value_t = 4566)]
    port: u16,
    /// Where state lives [default: $XDG_DATA_HOME/stratus or ~/.local/share/stratus].
    #[arg(long, env = "STRATUS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep all state in memory; nothing is written to disk.
    #[arg(long, env = "STRATUS_EPHEMERAL", value_parser = clap::builder::FalseyValueParser::new())]
    ephemeral: bool,
    /// When writes reach the disk: `interval` (they survive any crash of the
    /// process) or `always` (they also survive a power loss, at one fsync each).
    #[arg(long, env = "STRATUS_FSYNC", value_enum, default_value = "interval")]
    fsync: Fsync,
    /// error, warn, info, debug or trace (or a tracing filter such as `stratus=debug`).
    #[arg(long, env = "STRATUS_LOG_LEVEL", default_value = "info")]
    log_level: String,
    #[arg(long, env = "STRATUS_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// The account that access keys which are not 12-digit account ids belong to.
    #[arg(long, env = "STRATUS_DEFAULT_ACCOUNT", default_value = stratus_core::DEFAULT_ACCOUNT)]
    default_account: String,
    /// Check SigV4 signatures of requests signed with keys Stratus issued.
    #[arg(long, env = "STRATUS_VERIFY_SIGNATURES", value_parser = clap::builder::FalseyValueParser::new())]
    verify_signatures: bool,
    /// Enable test controls such as moving the clock (`POST /_stratus/clock`).
    #[arg(long, env = "STRATUS_TEST_MODE", value_parser = clap::builder::FalseyValueParser::new())]
    test_mode: bool,
    /// Apply IAM policies to every request (account root identities are always allowed).
    #[arg(long, env = "STRATUS_ENFORCE_IAM", value_parser = clap::builder::FalseyValueParser::new())]
    enforce_iam: bool,
    /// A JSON file of images (AMIs) to add to EC2's public catalogue in every region.
    #[arg(long, env = "STRATUS_EC2_IMAGES")]
    ec2_images: Option<PathBuf>,
    /// How EC2 instances run: their user data, processes and network.
    #[arg(
        long,
        env = "STRATUS_INSTANCE_RUNTIME",
        value_enum,
        default_value = "auto"
    )]
    instance_runtime: InstanceRuntime,
    /// Also serve each application load balancer's HTTP listeners on their
    /// own ports of 127.0.0.1 (ports in use are skipped).
    #[arg(long, env = "STRATUS_LB_LISTEN", value_parser = clap::builder::FalseyValueParser::new())]
    lb_listen: bool,
    /// `auto` runs a real database server (PostgreSQL, MariaDB) for each RDS
    /// instance when one is installed; `off` keeps instances as API state only.
    #[arg(long, env = "STRATUS_RDS_ENGINES", value_enum, default_value = "auto")]
    rds_engines: RdsEngines,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RdsEngines {
    Auto,
    Off,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    /// `None` when ephemeral.
    pub data_dir: Option<PathBuf>,
    /// When persisted writes reach the disk (`--fsync`).
    pub fsync: Fsync,
    pub log_level: String,
    pub log_format: LogFormat,
    pub default_account: String,
    pub verify_signatures: bool,
    pub test_mode: bool,
    pub enforce_iam: bool,
    /// Extra public EC2 images (`--ec2-images`).
    pub ec2_images: Option<PathBuf>,
    pub instance_runtime: InstanceRuntime,
    /// Serve load balancer listeners on their own ports (`--lb-listen`).
    pub lb_listen: bool,
    /// Whether RDS instances run real database servers (`--rds-engines`).
    pub rds_engines: RdsEngines,
}

fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("stratus");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".local/share/stratus"),
        None => PathBuf::from(".stratus"),
    }
}

impl ServeArgs {
    pub fn into_config(self) -> Config {
        Config {
            host: self.host,
            port: self.port,
            data_dir: (!self.ephemeral).then(|| self.data_dir.unwrap_or_else(default_data_dir)),
            fsync: self.fsync,
            log_level: self.log_level,
            log_format: self.log_format,
            default_account: self.default_account,
            verify_signatures: self.verify_signatures,
            test_mode: self.test_mode,
            enforce_iam: self.enforce_iam,
            ec2_images: self.ec2_images,
            instance_runtime: self.instance_runtime,
            lb_listen: self.lb_listen,
            rds_engines: self.rds_engines,
        }
    }
}
