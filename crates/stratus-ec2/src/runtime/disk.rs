//! Instances' disks. An instance's root filesystem is an overlay mounted
//! inside its own mount namespace: its writable upper layer lives in
//! `<dir>/roots/<id>/` (so it survives stop, start and restarts of
//! Stratus, and goes when the instance is terminated); its read-only lower
//! layers are its image's captured layers (`<dir>/layers/<layer>/`, newest
//! first) over the image's root directory, the host's `/` unless the image
//! names another. The host's own files are never written.
//!
//! CreateImage copies an instance's upper layer into a new layer; an image
//! made from it has that layer over the source image's chain. A layer stays
//! while any image or any instance that is not terminated refers to it,
//! as AWS keeps an instance's root volume when its image is deregistered.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::compute::InstanceRec;
use crate::state::ImageRec;

/// Where a layer is written until its copy is complete.
const PARTIAL: &str = ".partial";

/// The disks under the runtime's directory.
#[derive(Debug, Clone)]
pub struct Disks {
    dir: PathBuf,
}

impl Disks {
    pub fn new(dir: &Path) -> Disks {
        Disks {
            dir: dir.to_path_buf(),
        }
    }

    fn roots(&self) -> PathBuf {
        self.dir.join("roots")
    }

    fn layers(&self) -> PathBuf {
        self.dir.join("layers")
    }

    /// The directory of one instance's disk.
    pub fn root_dir(&self, id: &str) -> PathBuf {
        self.roots().join(id)
    }

    pub fn layer_dir(&self, layer: &str) -> PathBuf {
        self.layers().join(layer)
    }

    /// How an instance's root mounts, its directories made.
    pub fn prepare(&self, id: &str, layers: &[String], base: Option<&str>) -> io::Result<Root> {
        let dir = self.root_dir(id);
        let root = Root {
            upper: dir.join("upper"),
            work: dir.join("work"),
            mnt: dir.join("mnt"),
            scratch: dir.join("base"),
            layers: layers.iter().map(|l| self.layer_dir(l)).collect(),
            base: PathBuf::from(base.unwrap_or("/")),
            hidden: self.dir.clone(),
            own: self.dir.join(id),
            resolv: self.dir.join(id).join("resolv.conf"),
        };
        for l in &root.layers {
            if !l.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("image layer {} is missing", l.display()),
                ));
            }
        }
        if !root.base.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("image root directory {} is missing", root.base.display()),
            ));
        }
        for d in [&root.upper, &root.work, &root.mnt, &root.scratch] {
            fs::create_dir_all(d)?;
        }
        root.check_paths()?;
        Ok(root)
    }

    /// Copies an instance's upper layer into a new layer, keeping owners,
    /// modes, extended attributes and the overlay's whiteouts (`cp -a`
    /// runs as root). An instance that never ran gives an empty layer.
    pub fn capture(&self, id: &str, layer: &str) -> io::Result<()> {
        let to = self.layer_dir(layer);
        let partial = self.layers().join(format!("{layer}{PARTIAL}"));
        let _ = fs::remove_dir_all(&partial);
        fs::create_dir_all(&partial)?;
        let upper = self.root_dir(id).join("upper");
        if upper.is_dir() {
            let mut from = upper.into_os_string();
            from.push("/.");
            let out = Command::new("cp")
                .arg("-a")
                .arg(&from)
                .arg(&partial)
                .output()?;
            if !out.status.success() {
                let _ = fs::remove_dir_all(&partial);
                return Err(io::Error::other(format!(
                    "copying the disk of {id}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
        let _ = fs::remove_dir_all(&to);
        fs::rename(&partial, &to)
    }

    /// Removes the disks of instances not in `keep`, and the layers no one
    /// refers to (`busy` ones are being written).
    pub fn collect(
        &self,
        keep: &BTreeSet<String>,
        used: &BTreeSet<String>,
        busy: &BTreeSet<String>,
    ) {
        for id in names(&self.roots()) {
            if !keep.contains(&id) {
                remove(&self.root_dir(&id));
            }
        }
        for layer in unused(&names(&self.layers()), used, busy) {
            remove(&self.layer_dir(&layer));
        }
    }
}

fn names(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn remove(path: &Path) {
    if let Err(e) = fs::remove_dir_all(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "disk not removed");
    }
}

/// The layers present on disk that nothing refers to, partial copies
/// included unless they are being written.
pub fn unused(present: &[String], used: &BTreeSet<String>, busy: &BTreeSet<String>) -> Vec<String> {
    present
        .iter()
        .filter(|p| {
            let name = p.strip_suffix(PARTIAL).unwrap_or(p);
            !busy.contains(name) && (p.ends_with(PARTIAL) || !used.contains(name))
        })
        .cloned()
        .collect()
}

/// The layers images and instances that are not terminated refer to.
pub fn references<'a>(
    images: impl IntoIterator<Item = &'a ImageRec>,
    instances: impl IntoIterator<Item = &'a InstanceRec>,
) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = images
        .into_iter()
        .flat_map(|i| i.layers.iter().cloned())
        .collect();
    for i in instances {
        if i.state != "terminated" {
            out.extend(i.layers.iter().cloned());
        }
    }
    out
}

/// One instance's root filesystem, as its init mounts it.
#[derive(Debug, Clone)]
pub struct Root {
    pub upper: PathBuf,
    pub work: PathBuf,
    /// Where the overlay is mounted before it becomes `/`.
    pub mnt: PathBuf,
    /// A mount point for the base's own read-only view, when needed.
    pub scratch: PathBuf,
    /// Image layers, newest first.
    pub layers: Vec<PathBuf>,
    pub base: PathBuf,
    /// Stratus's directory, hidden from the instance...
    pub hidden: PathBuf,
    /// ...but for the instance's own directory (its boot scripts).
    pub own: PathBuf,
    pub resolv: PathBuf,
}

impl Root {
    /// Overlayfs's option syntax has no escape that mount(8) passes
    /// through for these.
    fn check_paths(&self) -> io::Result<()> {
        let all = [&self.upper, &self.work, &self.scratch, &self.base]
            .into_iter()
            .chain(self.layers.iter());
        for p in all {
            let s = p.to_string_lossy();
            if s.contains([',', ':', '\\']) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("an instance's disk cannot use the path {s}: it has ',', ':' or '\\'"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the base needs a view of its own: overlayfs refuses a lower
    /// layer inside another, and the layers live under the host's `/`.
    fn base_view(&self) -> bool {
        !self.layers.is_empty() && self.layers.iter().any(|l| l.starts_with(&self.base))
    }

    /// The overlay's options: layers newest first, then the base.
    pub fn options(&self) -> String {
        let mut lower: Vec<String> = self
            .layers
            .iter()
            .map(|l| l.to_string_lossy().into_owned())
            .collect();
        lower.push(if self.base_view() {
            self.scratch.join("view").to_string_lossy().into_owned()
        } else {
            self.base.to_string_lossy().into_owned()
        });
        format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.join(":"),
            self.upper.to_string_lossy(),
            self.work.to_string_lossy()
        )
    }

    /// Shell lines that mount the root, give it fresh /proc, /sys, /run
    /// and /tmp, the host's devices and the VPC's resolver, hide Stratus's
    /// directory but for the instance's own, and make it `/`. Any failure
    /// ends the init: user data never runs on the host's filesystem.
    pub fn script(&self) -> String {
        let q = |p: &Path| shell_quote(&p.to_string_lossy());
        let m = |p: &str| shell_quote(&format!("{}{p}", self.mnt.to_string_lossy()));
        let inside = |p: &Path| m(&p.to_string_lossy());
        let mut s = String::from("fail() { echo \"[stratus] $*\"; exit 1; }\n");
        if self.base_view() {
            let scratch = q(&self.scratch);
            let _ = std::fmt::Write::write_fmt(
                &mut s,
                format_args!(
                    "mount -t tmpfs -o size=64k,mode=700 tmpfs {scratch} && mkdir {empty} {view} && mount -t overlay overlay -o ro,lowerdir={base}:{empty} {view} || fail 'the image root directory could not be mounted'\n",
                    empty = q(&self.scratch.join("empty")),
                    view = q(&self.scratch.join("view")),
                    base = q(&self.base),
                ),
            );
        }
        // A reboot's old namespace may still hold the work directory for a
        // moment after its processes were killed.
        let _ = std::fmt::Write::write_fmt(
            &mut s,
            format_args!(
                "n=0; until mount -t overlay overlay -o {o} {mnt} 2>/dev/null; do n=$((n+1)); if [ $n -ge 60 ]; then mount -t overlay overlay -o {o} {mnt}; fail 'the root filesystem could not be mounted'; fi; sleep 0.05; done\n",
                o = shell_quote(&self.options()),
                mnt = q(&self.mnt),
            ),
        );
        let _ = std::fmt::Write::write_fmt(
            &mut s,
            format_args!(
                "mkdir -p {proc} {dev} {sys} {run} {tmp} {etc} || fail 'the root filesystem is not writable'\n\
                 mount -t proc proc {proc} && mount --rbind /dev {dev} && mount -t sysfs sysfs {sys} && mount -t tmpfs -o mode=755 tmpfs {run} && mount -t tmpfs -o mode=1777 tmpfs {tmp} || fail 'the root filesystem could not be mounted'\n\
                 mkdir -p {hidden} && mount -t tmpfs -o size=64k,mode=700 tmpfs {hidden} && mkdir -p {own_in} && mount --bind {own} {own_in} || fail 'the instance directory could not be mounted'\n\
                 if [ -L {resolv_in} ]; then rm -f {resolv_in}; fi; [ -e {resolv_in} ] || : > {resolv_in}\n\
                 mount --bind {resolv} {resolv_in} || fail 'the resolver could not be mounted'\n\
                 cd {mnt} && pivot_root . . && umount -l . && cd / || fail 'the root filesystem could not become /'\n",
                proc = m("/proc"),
                dev = m("/dev"),
                sys = m("/sys"),
                run = m("/run"),
                tmp = m("/tmp"),
                etc = m("/etc"),
                hidden = inside(&self.hidden),
                own_in = inside(&self.own),
                own = q(&self.own),
                resolv_in = m("/etc/resolv.conf"),
                resolv = q(&self.resolv),
                mnt = q(&self.mnt),
            ),
        );
        s
    }
}

pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(layers: &[&str], base: &str) -> Root {
        let d = Path::new("/var/lib/stratus/instances");
        Root {
            upper: d.join("roots/i-1/upper"),
            work: d.join("roots/i-1/work"),
            mnt: d.join("roots/i-1/mnt"),
            scratch: d.join("roots/i-1/base"),
            layers: layers.iter().map(|l| d.join("layers").join(l)).collect(),
            base: PathBuf::from(base),
            hidden: d.to_path_buf(),
            own: d.join("i-1"),
            resolv: d.join("i-1/resolv.conf"),
        }
    }

    #[test]
    fn an_image_without_layers_is_the_host_root_under_the_upper_layer() {
        let r = root(&[], "/");
        assert_eq!(
            r.options(),
            "lowerdir=/,upperdir=/var/lib/stratus/instances/roots/i-1/upper,workdir=/var/lib/stratus/instances/roots/i-1/work"
        );
        assert!(!r.script().contains("ro,lowerdir"));
    }

    #[test]
    fn layers_go_newest_first_over_a_view_of_the_host_root() {
        let r = root(&["ami-new", "ami-old"], "/");
        let o = r.options();
        assert!(
            o.starts_with(
                "lowerdir=/var/lib/stratus/instances/layers/ami-new:/var/lib/stratus/instances/layers/ami-old:/var/lib/stratus/instances/roots/i-1/base/view,"
            ),
            "{o}"
        );
        let s = r.script();
        assert!(s.contains("ro,lowerdir='/':'/var/lib/stratus/instances/roots/i-1/base/empty'"));
        // The view is mounted before the overlay that uses it.
        assert!(s.find("base/view").unwrap() < s.find("upperdir").unwrap());
    }

    #[test]
    fn a_root_directory_of_its_own_needs_no_view() {
        let r = root(&["ami-new"], "/srv/rootfs");
        assert!(
            r.options()
                .starts_with("lowerdir=/var/lib/stratus/instances/layers/ami-new:/srv/rootfs,")
        );
        assert!(!r.script().contains("ro,lowerdir"));
    }

    #[test]
    fn the_script_hides_stratus_and_becomes_root_last() {
        let s = root(&[], "/").script();
        let at = |p: &str| s.find(p).unwrap_or_else(|| panic!("{p} in {s}"));
        assert!(at("upperdir=") < at("mount -t proc"));
        assert!(
            at(
                "mount -t tmpfs -o size=64k,mode=700 tmpfs '/var/lib/stratus/instances/roots/i-1/mnt/var/lib/stratus/instances'"
            ) < at("mount --bind '/var/lib/stratus/instances/i-1'")
        );
        assert!(at("/etc/resolv.conf") < at("pivot_root"));
        assert!(
            s.lines().all(|l| l.starts_with("fail()")
                || l.contains("fail ")
                || l.starts_with("if [ -L"))
        );
    }

    #[test]
    fn paths_overlayfs_cannot_take_are_refused() {
        let mut r = root(&[], "/");
        assert!(r.check_paths().is_ok());
        r.upper = PathBuf::from("/data,x/upper");
        assert!(r.check_paths().is_err());
        r = root(&["a:b"], "/");
        assert!(r.check_paths().is_err());
    }

    fn image(id: &str, layers: &[&str]) -> ImageRec {
        ImageRec {
            id: id.into(),
            layers: layers.iter().map(|l| l.to_string()).collect(),
            ..Default::default()
        }
    }

    fn instance(state: &str, layers: &[&str]) -> InstanceRec {
        InstanceRec {
            state: state.into(),
            layers: layers.iter().map(|l| l.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_layer_lives_while_an_image_or_a_live_instance_refers_to_it() {
        let present: Vec<String> = ["l1", "l2", "l3"].iter().map(|s| s.to_string()).collect();
        let none = BTreeSet::new();
        // l2 was made from an instance of l1's image; l3's image is gone.
        let images = [image("ami-1", &["l1"]), image("ami-2", &["l2", "l1"])];
        let instances = [instance("running", &["l2", "l1"])];
        let used = references(&images, &instances);
        assert_eq!(unused(&present, &used, &none), vec!["l3".to_string()]);
        // Both images deregistered: the running child keeps its chain.
        let used = references(&[], &instances);
        assert_eq!(unused(&present, &used, &none), vec!["l3".to_string()]);
        // Stopped still counts; terminated does not.
        let used = references(&[], &[instance("stopped", &["l1"])]);
        assert_eq!(unused(&present, &used, &none).len(), 2);
        let used = references(&[], &[instance("terminated", &["l2", "l1"])]);
        assert_eq!(unused(&present, &used, &none).len(), 3);
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("stratus-disk-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_capture_copies_the_upper_layer_and_collecting_keeps_what_is_named() {
        let dir = scratch("capture");
        let disks = Disks::new(&dir);
        let upper = disks.root_dir("i-1").join("upper");
        fs::create_dir_all(upper.join("opt/app")).unwrap();
        fs::write(upper.join("opt/app/version"), "v1\n").unwrap();
        std::os::unix::fs::symlink("app/version", upper.join("opt/current")).unwrap();
        disks.capture("i-1", "ami-1").unwrap();
        let layer = disks.layer_dir("ami-1");
        assert_eq!(
            fs::read_to_string(layer.join("opt/app/version")).unwrap(),
            "v1\n"
        );
        assert_eq!(
            fs::read_link(layer.join("opt/current")).unwrap(),
            PathBuf::from("app/version")
        );
        assert!(!disks.layers().join("ami-1.partial").exists());
        // An instance that never ran gives an empty layer.
        disks.capture("i-2", "ami-2").unwrap();
        assert_eq!(fs::read_dir(disks.layer_dir("ami-2")).unwrap().count(), 0);

        let none = BTreeSet::new();
        let used: BTreeSet<String> = ["ami-1".to_string()].into();
        disks.collect(&["i-1".to_string()].into(), &used, &none);
        assert!(upper.is_dir() && layer.is_dir());
        assert!(!disks.layer_dir("ami-2").exists());
        disks.collect(&none, &none, &none);
        assert!(!disks.root_dir("i-1").exists() && !layer.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn partial_copies_go_unless_they_are_being_written() {
        let present = vec!["l1.partial".to_string(), "l2.partial".to_string()];
        let used: BTreeSet<String> = ["l1".to_string(), "l2".to_string()].into();
        let busy: BTreeSet<String> = ["l2".to_string()].into();
        assert_eq!(
            unused(&present, &used, &busy),
            vec!["l1.partial".to_string()]
        );
    }
}
