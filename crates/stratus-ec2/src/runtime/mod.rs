//! Instances that run: each running instance is a sandboxed process tree
//! in its own network namespace on its VPC's bridge, on a root filesystem
//! of its own (an overlay over its image's layers, see [`disk`]; CreateImage
//! copies it into a new layer), with its user data
//! run at boot, the metadata service at 169.254.169.254 and its console
//! captured. A reconciler on the clock keeps the processes in step with
//! EC2's states (running instances run; stopped and terminated ones do
//! not; a reboot boots again), so a restart of Stratus brings running
//! instances back. The runtime is also the [`Network`] through which load
//! balancers reach instances inside their VPCs, and public addresses
//! through the namespace that stands for the internet.
//!
//! Where `nft` is installed the runtime also enforces the VPC: each
//! instance's security groups in its own namespace, and route tables,
//! internet and NAT gateways and network ACLs in the VPC's (see
//! [`firewall`]), recomputed from EC2's state every tick.
//!
//! Addresses other services keep in a VPC (an RDS endpoint) join the VPC
//! while instances run there (see [`services`]).

mod cgroup;
mod cloudinit;
mod disk;
mod dns;
pub mod firewall;
mod imds;
mod netns;
mod rootless;
mod services;
mod userdata;
mod workload;
mod yaml;

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use stratus_core::network::Network;
use stratus_core::tasks::Task;

use crate::Ec2;
use crate::cidr::Cidr;
use crate::compute::InstanceRec;
use crate::metrics::{Activity, Traffic};
use crate::state::RegionState;

pub use rootless::relay;
pub use userdata::hostname;

/// The tag that keeps one instance out of the runtime (`none`).
pub const RUNTIME_TAG: &str = "stratus:runtime";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Instances are state only.
    None,
    /// Instances run as sandboxed processes: in namespaces on their VPC's
    /// bridge as root on Linux, else in unprivileged namespaces of their
    /// own (the reduced runtime, see [`rootless`]).
    Process,
}

impl Mode {
    /// `process` where this machine allows it, else `none`.
    pub fn detect() -> Mode {
        if netns::available() || rootless::available() {
            Mode::Process
        } else {
            Mode::None
        }
    }
}

pub struct RuntimeConfig {
    /// Where instances keep their console logs and user data.
    pub dir: PathBuf,
    /// Stratus's own port, relayed into instances at 169.254.169.254:4566.
    pub api_port: u16,
}

type Key = (String, String, String);

/// What the reconciler needs of one running instance.
#[derive(Debug, Clone)]
struct Spec {
    boots: u32,
    vpc: String,
    address_cidr: String,
    gateway: String,
    gateway_cidr: String,
    meta: imds::Meta,
    user_data: Option<String>,
    layers: Vec<String>,
    root_dir: Option<String>,
}

struct Running {
    spec: Spec,
    workload: workload::Workload,
    cgroup: Option<cgroup::Group>,
    /// CPU time and wall time at the last CPUUtilization reading.
    cpu_mark: (u64, std::time::Instant),
    /// The interface's counters at the last network reading.
    net_mark: netns::Counters,
    /// When (clock millis) the reconciler found the process tree dead.
    died_ms: Option<i64>,
    /// The reduced runtime's door into the instance, and its own metadata
    /// service.
    door: Option<(u16, imds::Endpoints)>,
}

/// What the runtime knows of an instance's health, for its status checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Its process tree runs.
    Running,
    /// Its process tree died (at this clock time): the instance check fails.
    Died(i64),
    /// The runtime could not boot it (since this clock time): the system
    /// check fails.
    NotBooted(i64),
}

/// A VPC with running instances: its metadata listeners and directory,
/// its uplink to the internet and the public addresses routed to it.
struct Vpc {
    _endpoints: imds::Endpoints,
    directory: imds::Directory,
    names: dns::Names,
    uplink: u16,
    announced: BTreeSet<String>,
}

/// What EC2's state asks of the runtime at one tick.
#[derive(Default)]
struct Desired {
    specs: HashMap<Key, Spec>,
    /// Ruleset files by instance id.
    instances: HashMap<String, String>,
    /// Routers by VPC id.
    vpcs: HashMap<String, firewall::routes::VpcPlan>,
    /// Service addresses (and their firewalls) by interface id.
    services: HashMap<String, (services::ServicePlan, Option<String>)>,
    /// Instances whose disks stay: not terminated, or being captured.
    disks: BTreeSet<String>,
    /// Layers some image or live instance refers to.
    layers: BTreeSet<String>,
    /// Images waiting for their disk copy: (account, region, image id),
    /// the source instance and the new layer.
    captures: Vec<(Key, String, String)>,
}

/// A service address the runtime serves in a VPC.
struct Served {
    plan: services::ServicePlan,
    _relays: services::Relays,
}

/// A disk copy in progress for CreateImage.
struct Capture {
    source: String,
    layer: String,
    done: Arc<Mutex<Option<io::Result<()>>>>,
}

pub struct Runtime {
    ec2: Arc<Ec2>,
    cfg: RuntimeConfig,
    running: Mutex<HashMap<Key, Running>>,
    vpcs: Mutex<HashMap<String, Vpc>>,
    credentials: Arc<imds::Credentials>,
    /// Held while the reconciler works, so shutdown waits for it.
    ticking: Mutex<()>,
    /// Set at shutdown: nothing boots after it.
    stopped: AtomicBool,
    /// Boots that failed to start (and when), so a failure is logged once,
    /// not every tick.
    failed: Mutex<HashMap<Key, (u32, i64)>>,
    /// Whether firewalls are enforced (`nft` is installed).
    enforce: bool,
    /// Not root: instances run in the reduced runtime.
    reduced: bool,
    /// A wake-up (`Ec2::wake_runtime`) is on its way.
    waking: AtomicBool,
    /// The ruleset file last applied in each namespace.
    applied: Mutex<HashMap<String, String>>,
    /// Service addresses by interface id.
    served: Mutex<HashMap<String, Served>>,
    /// Service addresses that could not be set up, so a failure is
    /// logged once, not every tick.
    served_failed: Mutex<HashMap<String, services::ServicePlan>>,
    disks: disk::Disks,
    /// Disk copies in progress by image.
    captures: Mutex<HashMap<Key, Capture>>,
}

fn spec_of(s: &RegionState, account: &str, region: &str, i: &InstanceRec) -> Option<Spec> {
    let eni = s.instance_eni(&i.id, 0)?;
    let subnet = s.subnets.get(&eni.subnet)?;
    let block = Cidr::parse(&subnet.cidr)?;
    let gateway = Ipv4Addr::from(block.base + 1).to_string();
    let hostname = crate::ops::instances::private_dns(&eni.private_ip, region);
    Some(Spec {
        boots: i.boots,
        vpc: eni.vpc.clone(),
        address_cidr: format!("{}/{}", eni.private_ip, block.prefix),
        gateway_cidr: format!("{gateway}/{}", block.prefix),
        gateway,
        user_data: i.user_data.clone(),
        layers: i.layers.clone(),
        root_dir: i.root_dir.clone(),
        meta: imds::Meta {
            instance_id: i.id.clone(),
            image_id: i.image.clone(),
            instance_type: i.instance_type.clone(),
            launch_index: i.launch_index,
            az: i.az.clone(),
            region: region.to_string(),
            account: account.to_string(),
            private_ip: eni.private_ip.clone(),
            public_ip: eni.public_ip.as_ref().map(|p| p.ip.clone()),
            hostname,
            mac: eni.mac.clone(),
            security_groups: eni
                .groups
                .iter()
                .filter_map(|g| s.sgs.get(g).map(|x| x.name.clone()))
                .collect(),
            user_data: None,
            tokens_required: i.metadata.http_tokens == "required",
            launch_ms: i.launch_ms,
            profile: i
                .profile_arn
                .clone()
                .map(|a| (a, i.profile_id.clone().unwrap_or_default())),
        },
    })
}

impl Runtime {
    fn desired(&self, now_ms: i64) -> Desired {
        let mut out = Desired::default();
        for (account, region) in self.ec2.regions.keys() {
            // Asked before EC2's lock is taken: load balancers may hold
            // theirs while they call EC2.
            let balancers: BTreeSet<String> = if self.enforce {
                self.ec2
                    .balancer_groups(&account, &region)
                    .into_iter()
                    .collect()
            } else {
                BTreeSet::new()
            };
            let r = self.ec2.regions.get(&account, &region);
            let s = r.lock();
            let mut vpcs = BTreeSet::new();
            out.layers
                .extend(disk::references(s.images.values(), s.instances.values()));
            out.disks.extend(
                s.instances
                    .values()
                    .filter(|i| i.state != "terminated")
                    .map(|i| i.id.clone()),
            );
            for img in s.images.values() {
                if let (Some(source), Some(layer), None) =
                    (&img.capture, img.layers.first(), &img.state_override)
                {
                    out.disks.insert(source.clone());
                    let key = (account.clone(), region.clone(), img.id.clone());
                    out.captures.push((key, source.clone(), layer.clone()));
                }
            }
            // An instance boots while it is pending, as on AWS.
            for i in s
                .instances
                .values()
                .filter(|i| i.state == "running" || i.state == "pending")
            {
                if i.tags.get(RUNTIME_TAG).map(String::as_str) == Some("none") {
                    continue;
                }
                if let Some(mut spec) = spec_of(&s, &account, &region, i) {
                    // The boot in progress counts once the instance runs.
                    if i.state == "pending" {
                        spec.boots += 1;
                    }
                    if self.enforce {
                        if let Some(eni) = s.instance_eni(&i.id, 0) {
                            let body = firewall::sg::instance_ruleset(&s, eni, &balancers);
                            out.instances.insert(i.id.clone(), firewall::file(&body));
                        }
                        if !out.vpcs.contains_key(&spec.vpc) {
                            let plan = firewall::routes::plan(&s, &spec.vpc, now_ms);
                            out.vpcs.insert(spec.vpc.clone(), plan);
                        }
                    }
                    vpcs.insert(spec.vpc.clone());
                    out.specs
                        .insert((account.clone(), region.clone(), i.id.clone()), spec);
                }
            }
            for (id, plan) in services::plans(&s, &vpcs) {
                let firewall = s.enis.get(&id).filter(|_| self.enforce).map(|eni| {
                    firewall::file(&firewall::sg::instance_ruleset(&s, eni, &balancers))
                });
                out.services.insert(id, (plan, firewall));
            }
        }
        out
    }

    /// Sets up the service addresses of VPCs with running instances and
    /// removes those no longer wanted or whose VPC went.
    fn serve_services(&self, rt: &tokio::runtime::Handle, desired: &Desired) {
        let vpcs: BTreeSet<String> = self.vpcs.lock().keys().cloned().collect();
        let stale: Vec<String> = self
            .served
            .lock()
            .iter()
            .filter(|(id, x)| {
                !vpcs.contains(&x.plan.vpc)
                    || desired.services.get(*id).is_none_or(|(p, _)| *p != x.plan)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            let Some(x) = self.served.lock().remove(&id) else {
                continue;
            };
            if let Some(v) = self.vpcs.lock().get(&x.plan.vpc) {
                let mut names = v.names.lock();
                for n in &x.plan.names {
                    names.remove(n);
                }
            }
            let vpc = x.plan.vpc.clone();
            drop(x);
            netns::unplug_instance(&vpc, &id);
            self.applied.lock().remove(&netns::instance_ns(&id));
        }
        // A failure is tried again when its plan changes or its VPC's
        // namespace is made anew.
        self.served_failed.lock().retain(|id, p| {
            vpcs.contains(&p.vpc) && desired.services.get(id).is_some_and(|(d, _)| d == p)
        });
        for (id, (plan, firewall)) in &desired.services {
            if !vpcs.contains(&plan.vpc) {
                continue;
            }
            if self.served.lock().contains_key(id) {
                if let Some(text) = firewall {
                    self.apply(&netns::instance_ns(id), text);
                }
                continue;
            }
            if self.served_failed.lock().contains_key(id) {
                continue;
            }
            match self.serve_one(rt, id, plan, firewall.as_ref()) {
                Ok(relays) => {
                    if let Some(v) = self.vpcs.lock().get(&plan.vpc) {
                        let mut names = v.names.lock();
                        for n in &plan.names {
                            names.insert(n.clone(), plan.ip);
                        }
                    }
                    self.served.lock().insert(
                        id.clone(),
                        Served {
                            plan: plan.clone(),
                            _relays: relays,
                        },
                    );
                }
                Err(e) => {
                    tracing::warn!(interface = %id, error = %e, "service address not set up");
                    netns::unplug_instance(&plan.vpc, id);
                    self.served_failed.lock().insert(id.clone(), plan.clone());
                }
            }
        }
    }

    fn serve_one(
        &self,
        rt: &tokio::runtime::Handle,
        id: &str,
        plan: &services::ServicePlan,
        firewall: Option<&String>,
    ) -> io::Result<services::Relays> {
        netns::ensure_gateway(&plan.vpc, &plan.gateway_cidr)?;
        netns::plug_instance(&plan.vpc, id, &plan.address_cidr, &plan.gateway)?;
        self.applied.lock().remove(&netns::instance_ns(id));
        if let Some(text) = firewall {
            self.apply(&netns::instance_ns(id), text);
        }
        services::relay(rt, &netns::instance_ns(id), plan.ip, &plan.ports)
    }

    /// Applies a ruleset file in a namespace unless it is already there.
    fn apply(&self, ns: &str, text: &str) {
        if self.applied.lock().get(ns).map(String::as_str) == Some(text) {
            return;
        }
        if let Err(e) = netns::apply_ruleset(ns, text) {
            tracing::warn!(namespace = %ns, error = %e, "firewall not applied");
        }
        // Kept even when refused, so a bad ruleset is reported once.
        self.applied.lock().insert(ns.to_string(), text.to_string());
    }

    /// Brings every firewall and router in step with EC2's state, and
    /// removes the namespaces of VPCs where nothing runs any more.
    fn enforce(&self, desired: &Desired) {
        let running: Vec<(String, String)> = self
            .running
            .lock()
            .iter()
            .map(|(k, r)| (k.2.clone(), r.spec.vpc.clone()))
            .collect();
        let in_use: BTreeSet<&str> = running.iter().map(|(_, v)| v.as_str()).collect();
        let gone: Vec<String> = self
            .vpcs
            .lock()
            .keys()
            .filter(|v| !in_use.contains(v.as_str()))
            .cloned()
            .collect();
        for vpc in gone {
            if let Some(v) = self.vpcs.lock().remove(&vpc) {
                for ip in &v.announced {
                    netns::withdraw(ip);
                }
            }
            netns::remove_vpc(&vpc);
            self.applied.lock().remove(&netns::vpc_ns(&vpc));
        }
        if !self.enforce {
            return;
        }
        for (id, _) in &running {
            if let Some(text) = desired.instances.get(id) {
                self.apply(&netns::instance_ns(id), text);
            }
        }
        let vpcs: Vec<(String, u16)> = self
            .vpcs
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.uplink))
            .collect();
        for (vpc, uplink) in vpcs {
            let Some(plan) = desired.vpcs.get(&vpc) else {
                continue;
            };
            self.apply(&netns::vpc_ns(&vpc), &firewall::file(&plan.ruleset()));
            let want: BTreeSet<String> = plan.announced().into_iter().collect();
            let mut vpcs = self.vpcs.lock();
            let Some(v) = vpcs.get_mut(&vpc) else {
                continue;
            };
            for ip in v.announced.difference(&want) {
                netns::withdraw(ip);
            }
            for ip in want.difference(&v.announced) {
                if let Err(e) = netns::announce(uplink, ip) {
                    tracing::warn!(address = %ip, error = %e, "public address not routed");
                }
            }
            v.announced = want;
        }
    }

    fn instance_dir(&self, id: &str) -> PathBuf {
        self.cfg.dir.join(id)
    }

    fn start(
        &self,
        rt: &tokio::runtime::Handle,
        id: &str,
        spec: &Spec,
        desired: &Desired,
    ) -> io::Result<Running> {
        let firewall = desired.instances.get(id);
        if !self.reduced {
            netns::ensure_vpc(&spec.vpc)?;
            netns::ensure_gateway(&spec.vpc, &spec.gateway_cidr)?;
            netns::plug_instance(&spec.vpc, id, &spec.address_cidr, &spec.gateway)?;
            // The firewall is up before anything in the instance runs.
            self.applied.lock().remove(&netns::instance_ns(id));
            if let Some(text) = firewall {
                self.apply(&netns::instance_ns(id), text);
            }
        }
        let parts = userdata::parse(spec.user_data.as_deref());
        let boot = cloudinit::prepare(&self.instance_dir(id), &parts)?;
        let mut meta = spec.meta.clone();
        meta.user_data = userdata::decode(spec.user_data.as_deref());
        let mut door = None;
        let sandbox = if self.reduced {
            let sockets = self.socket_dir(id);
            let _ = std::fs::remove_dir_all(&sockets);
            std::fs::DirBuilder::new()
                .mode(0o700)
                .recursive(true)
                .create(&sockets)?;
            let (imds_sock, api_sock) = rootless::sockets(&sockets);
            let own = imds::serve_unix(
                rt,
                (&imds_sock, &api_sock),
                meta.clone(),
                self.credentials.clone(),
                self.cfg.api_port,
            )?;
            let (listener, port) = rootless::door()?;
            let exe = std::env::current_exe()?;
            door = Some((listener, port, own));
            workload::Sandbox::Reduced {
                prefix: rootless::init_prefix(&exe, &meta.private_ip, &sockets),
                door: door.as_ref().map_or(-1, |(l, _, _)| rootless::raw(l)),
            }
        } else {
            self.vpc_directory(rt, &spec.vpc)?
                .lock()
                .insert(meta.private_ip.clone(), meta.clone());
            // Services in the VPC (a database) answer before user data runs.
            self.serve_services(rt, desired);
            netns::wait_for_network(id, Duration::from_secs(5))?;
            workload::Sandbox::Namespace
        };
        let env = vec![
            (
                "AWS_ENDPOINT_URL".to_string(),
                format!("http://{}:4566", netns::METADATA_IP),
            ),
            ("AWS_DEFAULT_REGION".to_string(), meta.region.clone()),
        ];
        let host = boot
            .hostname
            .clone()
            .unwrap_or_else(|| userdata::hostname(&meta.private_ip));
        let (vcpus, memory) = crate::instance_type(&meta.instance_type)
            .map_or((1, 1024), |t| (t.vcpus, t.memory_mib));
        let cgroup = cgroup::Group::create(netns::scope(), id, vcpus, memory);
        let procs = cgroup.as_ref().map(|g| g.procs_files()).unwrap_or_default();
        let root = self
            .disks
            .prepare(id, &spec.layers, spec.root_dir.as_deref())?;
        let workload = workload::boot(
            &self.instance_dir(id),
            &sandbox,
            &root,
            id,
            &host,
            &boot.script,
            &env,
            spec.boots,
            &procs,
        )?;
        let used = cgroup.as_ref().and_then(|g| g.usage_ns()).unwrap_or(0);
        Ok(Running {
            spec: spec.clone(),
            workload,
            cgroup,
            cpu_mark: (used, std::time::Instant::now()),
            net_mark: netns::Counters::default(),
            died_ms: None,
            // The instance's relay holds the door now; without this copy,
            // connections are refused once the instance is gone.
            door: door.map(|(_, port, own)| (port, own)),
        })
    }

    /// Where the reduced runtime's Unix sockets for an instance live (short:
    /// a socket's path has at most 107 bytes).
    fn socket_dir(&self, id: &str) -> PathBuf {
        std::env::temp_dir().join(format!("{}-{id}", netns::scope()))
    }

    /// Starts the disk copies images wait for, and makes available (or
    /// failed) the images whose copies ended.
    fn capture(&self, desired: &Desired, now_ms: i64) {
        let ended: Vec<(Key, io::Result<()>)> = {
            let mut captures = self.captures.lock();
            let keys: Vec<Key> = captures
                .iter()
                .filter(|(_, c)| c.done.lock().is_some())
                .map(|(k, _)| k.clone())
                .collect();
            keys.into_iter()
                .filter_map(|k| {
                    let c = captures.remove(&k)?;
                    let result = c.done.lock().take()?;
                    Some((k, result))
                })
                .collect()
        };
        for ((account, region, image), result) in ended {
            let r = self.ec2.regions.get(&account, &region);
            let mut s = r.lock();
            let Some(img) = s.images.get_mut(&image) else {
                continue;
            };
            img.capture = None;
            match result {
                Ok(()) => img.ready_ms = now_ms,
                Err(e) => {
                    tracing::warn!(image = %image, error = %e, "image not captured");
                    img.state_override = Some("failed".into());
                }
            }
            let img = img.clone();
            self.ec2.regions.publish(&region, &img);
            if let Err(e) = self.ec2.regions.save(&account, &region, &s) {
                tracing::warn!(image = %image, error = %e.message, "image state not saved");
            }
        }
        for (key, source, layer) in &desired.captures {
            let mut captures = self.captures.lock();
            if captures.contains_key(key) {
                continue;
            }
            let done = Arc::new(Mutex::new(None));
            let (disks, id, name, out) = (
                self.disks.clone(),
                source.clone(),
                layer.clone(),
                done.clone(),
            );
            // Copies take as long as the disk is big: off the reconciler.
            let started = std::thread::Builder::new()
                .name("image-capture".into())
                .spawn(move || {
                    let result = disks.capture(&id, &name);
                    *out.lock() = Some(result);
                });
            if let Err(e) = started {
                *done.lock() = Some(Err(e));
            }
            captures.insert(
                key.clone(),
                Capture {
                    source: source.clone(),
                    layer: layer.clone(),
                    done,
                },
            );
        }
    }

    /// The directory of a VPC's metadata service, started on first use.
    fn vpc_directory(&self, rt: &tokio::runtime::Handle, vpc: &str) -> io::Result<imds::Directory> {
        let mut vpcs = self.vpcs.lock();
        if let Some(v) = vpcs.get(vpc) {
            return Ok(v.directory.clone());
        }
        let uplink = (0..u16::MAX)
            .find(|n| vpcs.values().all(|v| v.uplink != *n))
            .unwrap_or(0);
        if self.enforce {
            netns::ensure_uplink(vpc, uplink)?;
        }
        let directory = imds::Directory::default();
        let names = dns::Names::default();
        let mut endpoints = imds::serve(
            rt,
            vpc,
            directory.clone(),
            self.credentials.clone(),
            self.cfg.api_port,
        )?;
        endpoints.also(dns::serve(rt, vpc, directory.clone(), names.clone())?);
        vpcs.insert(
            vpc.to_string(),
            Vpc {
                _endpoints: endpoints,
                directory: directory.clone(),
                names,
                uplink,
                announced: BTreeSet::new(),
            },
        );
        Ok(directory)
    }

    fn stop(&self, id: &str, mut r: Running) {
        r.workload.kill();
        if let Some(g) = &r.cgroup {
            g.remove();
        }
        if r.door.take().is_some() {
            let _ = std::fs::remove_dir_all(self.socket_dir(id));
            return;
        }
        if let Some(v) = self.vpcs.lock().get(&r.spec.vpc) {
            v.directory.lock().remove(&r.spec.meta.private_ip);
        }
        netns::unplug_instance(&r.spec.vpc, id);
        self.applied.lock().remove(&netns::instance_ns(id));
    }

    /// Stops every instance and removes every namespace the runtime made.
    pub fn shutdown(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // A tick in progress finishes its boots before they are stopped.
        let _tick = self.ticking.lock();
        let mut all: Vec<(Key, Running)> = self.running.lock().drain().collect();
        // Every kill first, then the waits: the namespaces go together below.
        for (_, r) in all.iter_mut() {
            r.workload.signal();
        }
        for (k, mut r) in all {
            r.workload.kill();
            if r.door.take().is_some() {
                let _ = std::fs::remove_dir_all(self.socket_dir(&k.2));
            }
        }
        self.served.lock().clear();
        self.vpcs.lock().clear();
        if !self.reduced {
            netns::remove_all();
            cgroup::remove_scope(netns::scope());
        }
    }

    /// The console log an instance's processes wrote, if it ever ran here.
    pub fn console(&self, id: &str) -> Option<String> {
        std::fs::read(workload::console_path(&self.instance_dir(id)))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// What an instance did since the last reading: the share of its
    /// vCPUs its processes used (its CPUUtilization), the traffic of its
    /// interface and whether its status checks pass; None when the runtime
    /// neither runs it nor failed to boot it.
    pub fn activity(&self, account: &str, region: &str, id: &str) -> Option<Activity> {
        let key = (account.to_string(), region.to_string(), id.to_string());
        let mut running = self.running.lock();
        let Some(r) = running.get_mut(&key) else {
            drop(running);
            return self.failed.lock().contains_key(&key).then(|| Activity {
                system_failed: true,
                ..Activity::default()
            });
        };
        let vcpus = crate::instance_type(&r.spec.meta.instance_type).map_or(1, |t| t.vcpus);
        let cpu = r
            .cgroup
            .as_ref()
            .and_then(|g| g.usage_ns())
            .map(|now_used| {
                let now = std::time::Instant::now();
                let (used, at) = r.cpu_mark;
                r.cpu_mark = (now_used, now);
                cgroup::percent(
                    now_used.saturating_sub(used),
                    now.duration_since(at).as_nanos() as u64,
                    vcpus,
                )
            });
        let dead = r.died_ms.is_some();
        let traffic = if dead {
            Traffic::default()
        } else {
            match netns::counters(r.workload.pid()) {
                Some(now) => {
                    let t = now.since(&r.net_mark);
                    r.net_mark = now;
                    t
                }
                None => Traffic::default(),
            }
        };
        Some(Activity {
            cpu: if dead { Some(0.0) } else { cpu },
            // The reduced runtime's instances have no interface of their own.
            traffic: (!self.reduced).then_some(traffic),
            instance_failed: dead,
            system_failed: false,
        })
    }

    /// The health of an instance the runtime runs or failed to boot.
    pub fn health(&self, account: &str, region: &str, id: &str) -> Option<Health> {
        let key = (account.to_string(), region.to_string(), id.to_string());
        if let Some(r) = self.running.lock().get(&key) {
            return Some(r.died_ms.map_or(Health::Running, Health::Died));
        }
        self.failed
            .lock()
            .get(&key)
            .map(|(_, since)| Health::NotBooted(*since))
    }

    /// The VPC whose namespace an address of `vpc_id` is reached through,
    /// when an instance runs there at that address.
    fn runs_at(&self, vpc_id: Option<&str>, addr: IpAddr) -> Option<String> {
        let ip = addr.to_string();
        self.running
            .lock()
            .values()
            .find(|r| r.spec.meta.private_ip == ip && vpc_id.is_none_or(|v| v == r.spec.vpc))
            .map(|r| r.spec.vpc.clone())
    }

    /// The reduced runtime's door to the instance at an address of `vpc_id`.
    fn door_at(&self, vpc_id: Option<&str>, addr: IpAddr) -> Option<u16> {
        let ip = addr.to_string();
        self.running
            .lock()
            .values()
            .find(|r| r.spec.meta.private_ip == ip && vpc_id.is_none_or(|v| v == r.spec.vpc))
            .and_then(|r| r.door.as_ref().map(|(port, _)| *port))
    }

    /// Whether instances run in the reduced runtime (Stratus is not root).
    pub fn reduced(&self) -> bool {
        self.reduced
    }

    /// Whether a public address answers: the internet routes it to a VPC.
    fn public_at(&self, addr: IpAddr) -> bool {
        let ip = addr.to_string();
        self.vpcs.lock().values().any(|v| v.announced.contains(&ip))
    }
}

impl Task for Runtime {
    fn name(&self) -> &str {
        "ec2-instance-runtime"
    }

    fn tick(&self, now_ms: i64) {
        let _tick = self.ticking.lock();
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let desired = self.desired(now_ms);
        // Gone, stopped, rebooted or died: stop what no longer matches.
        let stale: Vec<Key> = {
            let mut running = self.running.lock();
            running
                .iter_mut()
                .filter(|(k, r)| {
                    desired
                        .specs
                        .get(*k)
                        .is_none_or(|d| d.boots != r.spec.boots)
                })
                .map(|(k, _)| k.clone())
                .collect()
        };
        for k in stale {
            if let Some(r) = self.running.lock().remove(&k) {
                self.stop(&k.2, r);
            }
        }
        // A process tree that died stays down (its status checks fail)
        // until the instance is rebooted, stopped or terminated.
        for (k, r) in self.running.lock().iter_mut() {
            if r.died_ms.is_none() && !r.workload.alive() {
                tracing::warn!(instance = %k.2, "instance processes ended");
                r.died_ms = Some(now_ms);
            }
        }
        self.capture(&desired, now_ms);
        for (k, spec) in &desired.specs {
            if self.running.lock().contains_key(k) {
                continue;
            }
            // An instance CreateImage rebooted stays down until its disk
            // is copied, as AWS snapshots a stopped instance's volumes.
            if self.captures.lock().values().any(|c| c.source == k.2) {
                continue;
            }
            if self.failed.lock().get(k).map(|f| f.0) == Some(spec.boots) {
                continue;
            }
            match self.start(&rt, &k.2, spec, &desired) {
                Ok(r) => {
                    tracing::info!(instance = %k.2, ip = %spec.meta.private_ip, "instance booted");
                    self.failed.lock().remove(k);
                    self.running.lock().insert(k.clone(), r);
                }
                Err(e) => {
                    tracing::warn!(instance = %k.2, error = %e, "instance could not boot");
                    if self.reduced {
                        let _ = std::fs::remove_dir_all(self.socket_dir(&k.2));
                    } else {
                        netns::unplug_instance(&spec.vpc, &k.2);
                    }
                    self.failed.lock().insert(k.clone(), (spec.boots, now_ms));
                }
            }
        }
        self.enforce(&desired);
        self.serve_services(&rt, &desired);
        let busy: BTreeSet<String> = self
            .captures
            .lock()
            .values()
            .map(|c| c.layer.clone())
            .collect();
        let mut keep = desired.disks;
        keep.extend(self.captures.lock().values().map(|c| c.source.clone()));
        self.disks.collect(&keep, &desired.layers, &busy);
    }
}

impl Network for Runtime {
    fn reachable(&self, vpc_id: Option<&str>, addr: IpAddr) -> bool {
        addr.is_loopback() || self.runs_at(vpc_id, addr).is_some() || self.public_at(addr)
    }

    fn dial(
        &self,
        vpc_id: Option<&str>,
        addr: IpAddr,
        port: u16,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        if addr.is_loopback() {
            return TcpStream::connect_timeout(&SocketAddr::new(addr, port), timeout);
        }
        if let Some(door) = self.door_at(vpc_id, addr) {
            return rootless::dial(door, port, timeout);
        }
        if self.runs_at(vpc_id, addr).is_none() && self.public_at(addr) {
            // A public address is reached the way the internet reaches it.
            return netns::in_namespace(&netns::inet_ns(), move || {
                TcpStream::connect_timeout(&SocketAddr::new(addr, port), timeout)
            });
        }
        let vpc = self.runs_at(vpc_id, addr).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("no running instance at {addr}"),
            )
        })?;
        netns::in_namespace(&netns::vpc_ns(&vpc), move || {
            TcpStream::connect_timeout(&SocketAddr::new(addr, port), timeout)
        })
    }
}

impl Ec2 {
    /// Has the runtime, if any, look at the instances now rather than at
    /// its next period, so a launch boots at once.
    pub fn wake_runtime(&self) {
        let Some(rt) = self.runtime.get().cloned() else {
            return;
        };
        // One wake-up at a time: a burst of launches shares it.
        if rt.waking.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(h) = tokio::runtime::Handle::try_current() else {
            rt.waking.store(false, Ordering::SeqCst);
            return;
        };
        let clock = self.clock.clone();
        h.spawn_blocking(move || {
            rt.waking.store(false, Ordering::SeqCst);
            rt.tick(clock.now_millis());
        });
    }

    /// Runs this EC2's instances for real; the caller spawns the returned
    /// runtime as a task and stops it with [`Runtime::shutdown`].
    pub fn runtime(self: &Arc<Self>, cfg: RuntimeConfig) -> Arc<Runtime> {
        netns::set_scope(cfg.api_port);
        let reduced = !netns::available();
        if !reduced {
            // Namespaces and groups left by a process that did not stop cleanly.
            netns::remove_all();
            cgroup::remove_scope(netns::scope());
        }
        let rt = Arc::new(Runtime {
            ec2: self.clone(),
            disks: disk::Disks::new(&cfg.dir),
            captures: Mutex::new(HashMap::new()),
            cfg,
            running: Mutex::new(HashMap::new()),
            vpcs: Mutex::new(HashMap::new()),
            stopped: AtomicBool::new(false),
            credentials: Arc::new(imds::Credentials::new(self.roles.clone())),
            ticking: Mutex::new(()),
            failed: Mutex::new(HashMap::new()),
            enforce: !reduced && netns::nft_available(),
            reduced,
            waking: AtomicBool::new(false),
            applied: Mutex::new(HashMap::new()),
            served: Mutex::new(HashMap::new()),
            served_failed: Mutex::new(HashMap::new()),
        });
        if reduced {
            tracing::warn!(
                "not root: instances run in unprivileged namespaces of their own; VPCs are not enforced"
            );
        } else if !rt.enforce {
            tracing::warn!(
                "nft is not installed: security groups, routes and ACLs are not enforced"
            );
        }
        let _ = self.runtime.set(rt.clone());
        rt
    }
}
