//! What cloud-init does at boot with the user data's parts, rendered as
//! one shell script the instance's init runs, in cloud-init's module
//! order: boothooks, `bootcmd`, `write_files`, the host name, `packages`,
//! deferred `write_files`, then the scripts-user module (the script parts
//! and `runcmd`, by name). Its own messages go to the console shaped like
//! cloud-init's log lines (`cloud-init[PID]: DATE - module.py[LEVEL]: ...`).
//!
//! Instances reach no package mirror: packages the host has count as
//! installed, the others are installed from the host's package cache
//! (`apt-get --no-download`, into the instance's own disk) when it holds
//! them, and the rest are named on the console. `/etc/hostname` and
//! `/etc/hosts` are not written.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine;

use super::userdata::Part;
use super::yaml::{self, Yaml};

/// The process ids cloud-init's stages show on a console.
const INIT_PID: u32 = 1234;
const FINAL_PID: u32 = 1501;

/// The keys this runtime acts on; others are named on the console.
const HANDLED: &[&str] = &[
    "bootcmd",
    "write_files",
    "runcmd",
    "packages",
    "package_update",
    "package_upgrade",
    "package_reboot_if_required",
    "hostname",
    "fqdn",
    "preserve_hostname",
    "prefer_fqdn_over_hostname",
];

/// The message for packages neither the host nor its package cache has
/// (see the coverage notes).
pub const PACKAGES_SKIPPED: &str =
    "Skipping packages that are neither installed on the host nor in its package cache:";
pub const UPDATE_SKIPPED: &str =
    "Skipping package_update and package_upgrade: instances reach no package mirror";

/// What the init runs at a boot.
#[derive(Debug)]
pub struct Boot {
    /// The host name the cloud-config asks for, when it asks for one.
    pub hostname: Option<String>,
    /// The path of the script that runs the stages.
    pub script: std::path::PathBuf,
}

use super::disk::shell_quote as quote;

/// One console line in cloud-init's log format, printed by the script.
fn log(out: &mut String, pid: u32, level: &str, module: &str, message: &str) {
    let _ = writeln!(
        out,
        "echo \"cloud-init[{pid}]: $(date -u '+%Y-%m-%d %H:%M:%S,%3N') - {module}[{level}]: \"{}",
        quote(message)
    );
}

/// The cloud-config of all parts: later parts replace earlier keys, and a
/// document that does not parse is reported and dropped, as cloud-init does.
fn merged(parts: &[Part], out: &mut String) -> Vec<(String, Yaml)> {
    let mut keys: Vec<(String, Yaml)> = Vec::new();
    for p in parts {
        let Part::Config(text) = p else { continue };
        match yaml::parse(text) {
            Ok(Yaml::Map(entries)) => {
                for (k, v) in entries {
                    keys.retain(|(old, _)| *old != k);
                    keys.push((k, v));
                }
            }
            Ok(Yaml::Null) => {}
            Ok(_) => log(
                out,
                INIT_PID,
                "WARNING",
                "util.py",
                "Failed loading yaml blob: the cloud-config is not a mapping",
            ),
            Err(e) => log(
                out,
                INIT_PID,
                "WARNING",
                "util.py",
                &format!(
                    "Failed loading yaml blob. Invalid format at line {}: {}",
                    e.line, e.message
                ),
            ),
        }
    }
    keys
}

fn get<'a>(cfg: &'a [(String, Yaml)], key: &str) -> Option<&'a Yaml> {
    cfg.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A `runcmd`/`bootcmd` list as the lines of a shell script (cloud-init's
/// `shellify`: strings as they are, lists as quoted words).
fn shellify(cmds: &Yaml) -> Result<String, String> {
    let Yaml::List(items) = cmds else {
        return Err("is not a list".into());
    };
    let mut text = String::from("#!/bin/sh\n");
    for item in items {
        match item {
            Yaml::Str(s) => text.push_str(s),
            Yaml::List(words) => {
                let words: Vec<String> = words
                    .iter()
                    .map(|w| quote(w.str().unwrap_or_default()))
                    .collect();
                text.push_str(&words.join(" "));
            }
            Yaml::Null => continue,
            Yaml::Map(_) => {
                return Err("has an entry that is neither a string nor a list".into());
            }
        }
        text.push('\n');
    }
    Ok(text)
}

/// The content of one `write_files` entry, decoded per its `encoding`.
fn file_content(entry: &Yaml) -> Result<Vec<u8>, String> {
    let content = entry.get("content").and_then(Yaml::str).unwrap_or("");
    let encoding = entry
        .get("encoding")
        .and_then(Yaml::str)
        .unwrap_or("text/plain")
        .to_ascii_lowercase();
    let b64 = |s: &str| {
        let compact: String = s.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| format!("content is not base64: {e}"))
    };
    let gunzip = |b: Vec<u8>| {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&b[..])
            .read_to_end(&mut out)
            .map(|_| out)
            .map_err(|e| format!("content is not gzip: {e}"))
    };
    match encoding.as_str() {
        "b64" | "base64" => b64(content),
        "gz" | "gzip" => gunzip(content.as_bytes().to_vec()),
        "gz+base64" | "gzip+base64" | "gz+b64" | "gzip+b64" => gunzip(b64(content)?),
        "text/plain" => Ok(content.as_bytes().to_vec()),
        other => Err(format!("unknown encoding {other}")),
    }
}

/// A mode from `permissions` (`'0644'`, `0644`, `0o644`).
fn mode(entry: &Yaml) -> Result<u32, String> {
    let Some(p) = entry.get("permissions").and_then(Yaml::str) else {
        return Ok(0o644);
    };
    let digits = p.trim().trim_start_matches("0o");
    u32::from_str_radix(digits, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| format!("invalid permissions {p}"))
}

/// Stages `write_files` entries (deferred or not) under `dir` and returns
/// the commands that put them in place.
fn write_files(
    cfg: &[(String, Yaml)],
    deferred: bool,
    dir: &Path,
    out: &mut String,
) -> io::Result<String> {
    let mut cmds = String::new();
    let Some(entries) = get(cfg, "write_files") else {
        return Ok(cmds);
    };
    let Yaml::List(entries) = entries else {
        log(
            out,
            INIT_PID,
            "WARNING",
            "cc_write_files.py",
            "write_files is not a list; nothing written",
        );
        return Ok(cmds);
    };
    let stage = dir.join(if deferred { "files-deferred" } else { "files" });
    fs::create_dir_all(&stage)?;
    let pid = if deferred { FINAL_PID } else { INIT_PID };
    for (n, entry) in entries.iter().enumerate() {
        if entry.get("defer").is_some_and(Yaml::truthy) != deferred {
            continue;
        }
        let warn = |msg: String| {
            let mut line = String::new();
            log(&mut line, pid, "WARNING", "cc_write_files.py", &msg);
            line
        };
        let Some(path) = entry.get("path").and_then(Yaml::str) else {
            cmds.push_str(&warn(format!(
                "No path provided to write for entry {}",
                n + 1
            )));
            continue;
        };
        if entry.get("source").is_some() {
            cmds.push_str(&warn(format!(
                "Not fetching the source of {path}: instances reach no network beyond the machine; writing its content"
            )));
        }
        let (bytes, mode) = match file_content(entry).and_then(|b| Ok((b, mode(entry)?))) {
            Ok(x) => x,
            Err(e) => {
                cmds.push_str(&warn(format!("Failed to write {path}: {e}")));
                continue;
            }
        };
        let staged = stage.join(format!("{:03}", n + 1));
        fs::write(&staged, &bytes)?;
        let owner = entry
            .get("owner")
            .and_then(Yaml::str)
            .unwrap_or("root:root");
        let redirect = if entry.get("append").is_some_and(Yaml::truthy) {
            ">>"
        } else {
            ">"
        };
        let p = quote(path);
        let _ = writeln!(
            cmds,
            "if mkdir -p -- \"$(dirname -- {p})\" && cat {s} {redirect} {p} && chmod {mode:o} {p}; then\n  chown {o} {p} 2>/dev/null || {w_owner}else\n  {w_fail}fi",
            s = quote(&staged.to_string_lossy()),
            o = quote(owner),
            w_owner = warn(format!(
                "Failed to set owner {owner} on {path}: no such user or group"
            )),
            w_fail = warn(format!("Failed to write {path}")),
        );
    }
    Ok(cmds)
}

/// The host name cloud-init's set_hostname gives the instance, if the
/// cloud-config names one.
fn hostname(cfg: &[(String, Yaml)]) -> Option<String> {
    if get(cfg, "preserve_hostname").is_some_and(Yaml::truthy) {
        return None;
    }
    let fqdn = get(cfg, "fqdn").and_then(Yaml::str);
    let host = get(cfg, "hostname").and_then(Yaml::str);
    let full = fqdn.or(host.filter(|h| h.contains('.')));
    if get(cfg, "prefer_fqdn_over_hostname").is_some_and(Yaml::truthy) {
        if let Some(f) = full {
            return Some(f.to_string());
        }
    }
    host.map(|h| h.split('.').next().unwrap_or(h).to_string())
        .or_else(|| fqdn.map(|f| f.split('.').next().unwrap_or(f).to_string()))
        .filter(|h| !h.is_empty())
}

/// The packages to install, as `name` or `name=version` (apt's form).
fn packages(cfg: &[(String, Yaml)]) -> Vec<(String, String)> {
    let Some(Yaml::List(items)) = get(cfg, "packages") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|p| match p {
            Yaml::Str(name) => Some((name.clone(), name.clone())),
            Yaml::List(pair) => {
                let name = pair.first()?.str()?.to_string();
                let shown = match pair.get(1).and_then(Yaml::str) {
                    Some(v) => format!("{name}={v}"),
                    None => name.clone(),
                };
                Some((name, shown))
            }
            _ => None,
        })
        .collect()
}

fn write_script(path: &Path, body: &[u8]) -> io::Result<()> {
    fs::write(path, body)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
}

/// Renders the boot of an instance with these user data parts under `dir`
/// (its scripts, staged files and per-instance semaphores).
pub fn prepare(dir: &Path, parts: &[Part]) -> io::Result<Boot> {
    let scripts = dir.join("scripts");
    let _ = fs::remove_dir_all(&scripts);
    fs::create_dir_all(&scripts)?;
    let sem = dir.join("sem");
    fs::create_dir_all(&sem)?;
    let mut out = String::from("#!/bin/sh\n# The stages cloud-init runs at boot.\n");
    let _ = writeln!(
        out,
        "once() {{ [ -e {s}/\"$1\" ] && return 1; : > {s}/\"$1\"; }}",
        s = quote(&sem.to_string_lossy())
    );
    for p in parts {
        if let Part::Skipped(why) = p {
            log(&mut out, INIT_PID, "WARNING", "__init__.py", why);
        }
    }
    let cfg = merged(parts, &mut out);
    let unknown: Vec<&str> = cfg
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !HANDLED.contains(k))
        .collect();
    if !unknown.is_empty() {
        log(
            &mut out,
            INIT_PID,
            "WARNING",
            "stages.py",
            &format!("Not run by this runtime: {}", unknown.join(", ")),
        );
    }

    // Boothooks and bootcmd: every boot.
    let hooks = dir.join("boothooks");
    let _ = fs::remove_dir_all(&hooks);
    for p in parts {
        if let Part::Boothook { name, body } = p {
            fs::create_dir_all(&hooks)?;
            let path = hooks.join(name);
            write_script(&path, body)?;
            let path = quote(&path.to_string_lossy());
            let mut fail = String::new();
            log(
                &mut fail,
                INIT_PID,
                "WARNING",
                "cc_boothook.py",
                &format!("Boothooks script {name} execution error"),
            );
            let _ = write!(out, "{path} || {{\n{fail}}}\n");
        }
    }
    if let Some(cmds) = get(&cfg, "bootcmd") {
        match shellify(cmds) {
            Ok(text) => {
                let path = dir.join("bootcmd");
                write_script(&path, text.as_bytes())?;
                let mut fail = String::new();
                log(
                    &mut fail,
                    INIT_PID,
                    "WARNING",
                    "cc_bootcmd.py",
                    "Failed to run bootcmd module bootcmd",
                );
                let _ = write!(
                    out,
                    "/bin/sh {} || {{\n{fail}}}\n",
                    quote(&path.to_string_lossy())
                );
            }
            Err(e) => log(
                &mut out,
                INIT_PID,
                "WARNING",
                "cc_bootcmd.py",
                &format!("bootcmd {e}; not run"),
            ),
        }
    }
    // write_files and packages: once per instance, as cloud-init does.
    let files = write_files(&cfg, false, dir, &mut out)?;
    if !files.is_empty() {
        let _ = write!(out, "if once config_write_files; then\n{files}fi\n");
    }
    let wanted = packages(&cfg);
    let update = get(&cfg, "package_update").is_some_and(Yaml::truthy)
        || get(&cfg, "package_upgrade").is_some_and(Yaml::truthy);
    if !wanted.is_empty() || update {
        out.push_str("if once config_package_update_upgrade_install; then\n");
        if update {
            log(
                &mut out,
                FINAL_PID,
                "WARNING",
                "cc_package_update_upgrade_install.py",
                UPDATE_SKIPPED,
            );
        }
        // The missing ones, in apt's form, as the positional parameters.
        out.push_str("set --\n");
        for (name, shown) in &wanted {
            let _ = writeln!(
                out,
                "dpkg-query -W -f='${{Status}}' {n} 2>/dev/null | grep -q 'ok installed' || rpm -q {n} >/dev/null 2>&1 || set -- \"$@\" {s}",
                n = quote(name),
                s = quote(shown),
            );
        }
        // Each by its cached file where there is one, which apt installs
        // even without package lists; all or nothing, as apt installs them.
        out.push_str(
            "names=\"$*\"\n\
             if [ $# -gt 0 ] && command -v apt-get >/dev/null 2>&1; then\n\
             a=$(dpkg --print-architecture 2>/dev/null)\n\
             for p in \"$@\"; do n=${p%%=*}; v=${p#*=}\n\
             if [ \"$v\" = \"$p\" ]; then v='*'; else v=$(printf %s \"$v\" | sed 's/:/%3a/'); fi\n\
             f=$(ls -1 /var/cache/apt/archives/\"$n\"_${v}_\"$a\".deb /var/cache/apt/archives/\"$n\"_${v}_all.deb 2>/dev/null | sort -V | tail -n 1)\n\
             set -- \"$@\" \"${f:-$p}\"; shift; done\n\
             DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download \"$@\" </dev/null && set -- && names=\n\
             fi\n",
        );
        let _ = writeln!(
            out,
            "[ -z \"$names\" ] || echo \"cloud-init[{FINAL_PID}]: $(date -u '+%Y-%m-%d %H:%M:%S,%3N') - cc_package_update_upgrade_install.py[WARNING]: {PACKAGES_SKIPPED} $names\""
        );
        out.push_str("fi\n");
    }
    let deferred = write_files(&cfg, true, dir, &mut out)?;
    if !deferred.is_empty() {
        let _ = write!(
            out,
            "if once config_write_files_deferred; then\n{deferred}fi\n"
        );
    }
    // scripts-user: the script parts and runcmd, in the order of their names.
    let mut user: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for p in parts {
        if let Part::Script { name, body } = p {
            user.insert(name.clone(), body.clone());
        }
    }
    if let Some(cmds) = get(&cfg, "runcmd") {
        match shellify(cmds) {
            Ok(text) => {
                user.insert("runcmd".into(), text.into_bytes());
            }
            Err(e) => log(
                &mut out,
                FINAL_PID,
                "WARNING",
                "cc_runcmd.py",
                &format!("runcmd {e}; not run"),
            ),
        }
    }
    if !user.is_empty() {
        out.push_str("failed=\n");
        for (name, body) in &user {
            let path = scripts.join(name);
            write_script(&path, body)?;
            let shown = path.to_string_lossy();
            let _ = writeln!(
                out,
                "{p}; rc=$?; [ $rc -eq 0 ] || {{ failed=1; echo \"cloud-init[{FINAL_PID}]: $(date -u '+%Y-%m-%d %H:%M:%S,%3N') - util.py[WARNING]: Failed running \"{q}\" [$rc]\"; }}",
                p = quote(&shown),
                q = quote(&shown),
            );
        }
        let mut fail = String::new();
        log(
            &mut fail,
            FINAL_PID,
            "WARNING",
            "cc_scripts_user.py",
            &format!(
                "Failed to run module scripts_user (scripts in {})",
                scripts.to_string_lossy()
            ),
        );
        let _ = write!(out, "[ -z \"$failed\" ] || {{\n{fail}}}\n");
    }
    let script = dir.join("cloud-init.sh");
    write_script(&script, out.as_bytes())?;
    Ok(Boot {
        hostname: hostname(&cfg),
        script,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Vec<(String, Yaml)> {
        match yaml::parse(text).unwrap() {
            Yaml::Map(m) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn host_names_follow_set_hostname() {
        assert_eq!(hostname(&cfg("hostname: web")), Some("web".into()));
        assert_eq!(hostname(&cfg("fqdn: web.example.com")), Some("web".into()));
        assert_eq!(
            hostname(&cfg(
                "hostname: web.example.com\nprefer_fqdn_over_hostname: true"
            )),
            Some("web.example.com".into())
        );
        assert_eq!(
            hostname(&cfg("hostname: web\npreserve_hostname: true")),
            None
        );
        assert_eq!(hostname(&cfg("runcmd: []")), None);
    }

    #[test]
    fn commands_are_shellified() {
        let c = cfg("runcmd:\n - echo a > /tmp/x\n - [touch, \"it's here\"]\n");
        assert_eq!(
            shellify(get(&c, "runcmd").unwrap()).unwrap(),
            "#!/bin/sh\necho a > /tmp/x\n'touch' 'it'\\''s here'\n"
        );
        assert!(shellify(&Yaml::Str("x".into())).is_err());
    }

    #[test]
    fn file_contents_decode_and_modes_are_octal() {
        let e = |t: &str| yaml::parse(t).unwrap();
        assert_eq!(
            file_content(&e("content: aGk=\nencoding: b64")).unwrap(),
            b"hi"
        );
        // "hi" gzipped, then base64.
        assert_eq!(
            file_content(&e(
                "content: H4sIAAAAAAACA8vIBACsKpPYAgAAAA==\nencoding: gz+b64"
            ))
            .unwrap(),
            b"hi"
        );
        assert!(file_content(&e("content: x\nencoding: rot13")).is_err());
        assert_eq!(mode(&e("permissions: '0600'")).unwrap(), 0o600);
        assert_eq!(mode(&e("permissions: 0755")).unwrap(), 0o755);
        assert_eq!(mode(&e("path: /x")).unwrap(), 0o644);
        assert!(mode(&e("permissions: rw")).is_err());
        assert_eq!(
            packages(&cfg("packages: [nginx, [curl, '7.88']]")),
            vec![
                ("nginx".into(), "nginx".into()),
                ("curl".into(), "curl=7.88".into())
            ]
        );
    }

    /// Runs a rendered boot with /bin/sh and returns its output.
    fn run(dir: &Path, parts: &[Part]) -> String {
        let boot = prepare(dir, parts).unwrap();
        let out = std::process::Command::new("/bin/sh")
            .arg(&boot.script)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    #[test]
    fn a_boot_writes_files_once_and_runs_commands_in_cloud_inits_order() {
        let dir = std::env::temp_dir().join(format!("stratus-ci-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let target = dir.join("out");
        let t = target.to_string_lossy();
        let config = format!(
            "#cloud-config\n\
             bootcmd:\n - echo boot >> {t}/order\n\
             write_files:\n\
             - path: {t}/hello.txt\n  content: hello\n  permissions: '0640'\n\
             - path: {t}/log\n  content: \"more\\n\"\n  append: true\n\
             - path: {t}/late\n  content: aGk=\n  encoding: b64\n  defer: true\n\
             packages: [surely-not-a-real-package-xyz]\n\
             runcmd:\n - echo run >> {t}/order\n - [sh, -c, 'cat {t}/late >> {t}/order']\n - exit 3\n\
             users: [default]\n"
        );
        let parts = vec![
            Part::Config(config),
            Part::Script {
                name: "part-001".into(),
                body: format!("#!/bin/sh\necho script >> {t}/order\n").into_bytes(),
            },
        ];
        fs::create_dir_all(&target).unwrap();
        let first = run(&dir, &parts);
        assert_eq!(
            fs::read_to_string(target.join("hello.txt")).unwrap(),
            "hello"
        );
        let mode = fs::metadata(target.join("hello.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
        // Script parts sort before runcmd, as in cloud-init's scripts directory.
        assert_eq!(
            fs::read_to_string(target.join("order")).unwrap(),
            "boot\nscript\nrun\nhi"
        );
        assert!(first.contains(&format!(
            "cc_package_update_upgrade_install.py[WARNING]: {PACKAGES_SKIPPED} surely-not-a-real-package-xyz"
        )), "{first}");
        assert!(first.contains("stages.py[WARNING]: Not run by this runtime: users"));
        assert!(
            first.contains("util.py[WARNING]: Failed running ") && first.contains("/runcmd [3]"),
            "{first}"
        );
        assert!(first.contains("cc_scripts_user.py[WARNING]: Failed to run module scripts_user"));
        assert!(first.starts_with("cloud-init[") || first.contains("\ncloud-init["));

        // A second boot: bootcmd and the scripts again, files not rewritten.
        let second = run(&dir, &parts);
        assert_eq!(fs::read_to_string(target.join("log")).unwrap(), "more\n");
        assert_eq!(
            fs::read_to_string(target.join("order")).unwrap(),
            "boot\nscript\nrun\nhiboot\nscript\nrun\nhi"
        );
        assert!(!second.contains(PACKAGES_SKIPPED));
        let _ = fs::remove_dir_all(&dir);
    }
}
