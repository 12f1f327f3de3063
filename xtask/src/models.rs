//! `cargo xtask models`: regenerates the AWS service models Stratus embeds, and
//! botocore's protocol test suite, from a pinned botocore release on PyPI.
//!
//! The committed files were first made by a Python script; this reproduces its
//! output exactly (same JSON bytes, Python's `json.dumps` formatting), so a
//! regen with the same botocore version leaves git clean.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use flate2::{Compression, GzBuilder, read::GzDecoder};
use serde_json::{Map, Value};

use crate::{Context, Result, sorted_entries, workspace_root, write_if_changed};

/// The botocore release the committed models come from; bump it, rerun, and commit to update them.
pub const BOTOCORE_VERSION: &str = "1.44.5";

const SIMPLE_INDEX: &str = "https://pypi.org/simple/botocore/";

/// Older models embedded beside the current ones, for services whose current
/// model dropped a protocol that older clients still speak: (embedded name,
/// botocore service, botocore release). The index marks each `legacyOf` its
/// service, so the router decodes those clients' requests with it and hands
/// them to the same handlers. SQS was query-only up to botocore 1.31.80.
const LEGACY_MODELS: [(&str, &str, &str); 1] = [("sqs-query", "sqs", "1.31.80")];

/// Human-facing text nobody serves or parses; dropping it shrinks the models severalfold.
const DROPPED_KEYS: [&str; 4] = [
    "documentation",
    "documentationUrl",
    "examples",
    "deprecatedMessage",
];

/// The `metadata` keys request routing needs without inflating every model.
const INDEX_KEYS: [&str; 10] = [
    "apiVersion",
    "endpointPrefix",
    "signingName",
    "targetPrefix",
    "jsonVersion",
    "serviceId",
    "protocol",
    "protocols",
    "globalEndpoint",
    "awsQueryCompatible",
];

pub fn run(args: &[String]) -> Result<()> {
    let started = Instant::now();
    let version = parse_args(args)?;
    let root = workspace_root();
    let crate_dir = root.join("crates/stratus-protocol");
    let models_dir = crate_dir.join("models");
    let cache = root.join("target/xtask-cache");

    let (wheel, sdist) = download(&cache, &version)?;
    let (wheel_dir, sdist_dir) = unpack(&cache, &version, &wheel, &sdist)?;

    let mut services = latest_models(&wheel_dir.join("botocore/data"))?;
    let legacy = legacy_models(&cache)?;
    services.extend(
        legacy
            .iter()
            .map(|(name, _, path)| (name.clone(), path.clone())),
    );
    services.sort();
    let mut index = Map::new();
    let (mut json_bytes, mut gz_bytes, mut changed) = (0, 0, 0);
    for (name, path) in &services {
        let mut model: Value = serde_json::from_slice(&read_model(path)?)
            .context(|| format!("parsing {}", path.display()))?;
        let mut entry = index_entry(&model);
        if let Some((_, of, _)) = legacy.iter().find(|(n, _, _)| n == name) {
            if let Value::Object(m) = &mut entry {
                m.insert("legacyOf".into(), Value::String(of.clone()));
            }
        }
        index.insert(name.clone(), entry);
        strip_docs(&mut model);
        let json = python_json(&model, false);
        let out = models_dir.join(format!("{name}.json.gz"));
        if write_model(&out, json.as_bytes())? {
            changed += 1;
        }
        json_bytes += json.len();
        gz_bytes += std::fs::metadata(&out)
            .context(|| format!("reading {}", out.display()))?
            .len();
    }
    changed += remove_stale_models(&models_dir, &services)?;

    changed += usize::from(write_if_changed(
        &models_dir.join("index.json"),
        python_json(&Value::Object(index), true).as_bytes(),
    )?);
    changed += usize::from(write_if_changed(
        &crate_dir.join("src/embedded.rs"),
        embedded_rs(&version, &services).as_bytes(),
    )?);
    let protocol_tests = sdist_dir.join(format!("botocore-{version}/tests/unit/protocols"));
    changed += mirror_tree(&protocol_tests, &crate_dir.join("tests/botocore"))?;

    println!(
        "botocore {version}: {} services, {json_bytes} bytes of JSON in {gz_bytes} bytes gzipped; \
         {changed} files changed, in {:.1}s",
        services.len(),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

fn parse_args(args: &[String]) -> Result<String> {
    let version = match args {
        [] => BOTOCORE_VERSION.to_string(),
        [flag, v] if flag == "--botocore-version" => v.clone(),
        [flag] if flag.starts_with("--botocore-version=") => {
            flag["--botocore-version=".len()..].to_string()
        }
        _ => {
            return Err(format!(
                "unexpected arguments {args:?}; usage: cargo xtask models [--botocore-version X.Y.Z]"
            ));
        }
    };
    // The version ends up in URLs and paths, so accept nothing but a release number.
    let valid = version
        .split('.')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if !valid {
        return Err(format!(
            "botocore version {version:?} is not of the form X.Y.Z"
        ));
    }
    Ok(version)
}

/// Fetches the wheel (gzipped models) and the sdist (the only one carrying the
/// protocol tests) into the cache, checking each against PyPI's sha256.
fn download(cache: &Path, version: &str) -> Result<(PathBuf, PathBuf)> {
    let mut files = download_files(
        cache,
        &[
            format!("botocore-{version}-py3-none-any.whl"),
            format!("botocore-{version}.tar.gz"),
        ],
    )?;
    let sdist = files.remove(1);
    Ok((files.remove(0), sdist))
}

/// Fetches the named release files into the cache unless already there.
fn download_files(cache: &Path, names: &[String]) -> Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = names.iter().map(|n| cache.join(n)).collect();
    std::fs::create_dir_all(cache).context(|| format!("creating {}", cache.display()))?;
    let missing: Vec<&PathBuf> = paths.iter().filter(|p| !p.is_file()).collect();
    if missing.is_empty() {
        return Ok(paths);
    }

    let index = String::from_utf8_lossy(&command_output(
        Command::new("curl").args(["-fsSL", SIMPLE_INDEX]),
    )?)
    .into_owned();
    for path in missing {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("cache file names are UTF-8");
        let (url, sha256) = find_link(&index, file_name).ok_or_else(|| {
            format!(
                "{SIMPLE_INDEX} has no link with a sha256 to {file_name}; is the version right?"
            )
        })?;
        // Download beside the target and rename, so an interrupted run never leaves a truncated file in the cache.
        let partial = path.with_file_name(format!("{file_name}.part"));
        eprintln!("downloading {url}");
        command_output(
            Command::new("curl")
                .args(["-fsSL", "-o"])
                .arg(&partial)
                .arg(url),
        )?;
        let actual = file_sha256(&partial)?;
        if actual != sha256 {
            return Err(format!(
                "{file_name}: sha256 is {actual}, PyPI says {sha256}"
            ));
        }
        std::fs::rename(&partial, path)
            .context(|| format!("moving {} into place", partial.display()))?;
    }
    Ok(paths)
}

/// Finds `href="<url>#sha256=<hex>"` whose URL ends in `/file_name` in PyPI's simple index.
fn find_link<'a>(index: &'a str, file_name: &str) -> Option<(&'a str, &'a str)> {
    index.split("href=\"").skip(1).find_map(|rest| {
        let href = &rest[..rest.find('"')?];
        let (url, sha256) = href.split_once("#sha256=")?;
        url.rsplit('/')
            .next()
            .filter(|name| *name == file_name)
            .map(|_| (url, sha256))
    })
}

fn file_sha256(path: &Path) -> Result<String> {
    // python3 is needed anyway to unzip the wheel; this spares a hashing dependency.
    let script =
        "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())";
    let out = command_output(Command::new("python3").args(["-c", script]).arg(path))?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Unpacks afresh each run (about a second), so a half-unpacked tree from an
/// interrupted run can never be mistaken for a complete one.
fn unpack(cache: &Path, version: &str, wheel: &Path, sdist: &Path) -> Result<(PathBuf, PathBuf)> {
    let wheel_dir = cache.join(format!("botocore-{version}-wheel"));
    let sdist_dir = cache.join(format!("botocore-{version}-sdist"));
    for dir in [&wheel_dir, &sdist_dir] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).context(|| format!("removing {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
    }
    command_output(
        Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(wheel)
            .arg(&wheel_dir),
    )?;
    command_output(
        Command::new("tar")
            .arg("-xzf")
            .arg(sdist)
            .arg("-C")
            .arg(&sdist_dir)
            .arg(format!("botocore-{version}/tests/unit/protocols")),
    )?;
    Ok((wheel_dir, sdist_dir))
}

/// Runs a command to completion, returning its stdout, or an error carrying its stderr.
fn command_output(cmd: &mut Command) -> Result<Vec<u8>> {
    let out = cmd
        .output()
        .context(|| format!("running {cmd:?} (is it installed?)"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Each service folder holds one folder per API version; botocore uses the newest,
/// and version names are dates, so the lexicographically last one.
fn latest_models(data: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut services = Vec::new();
    for service in sorted_entries(data)?.into_iter().filter(|p| p.is_dir()) {
        let versions: Vec<PathBuf> = sorted_entries(&service)?
            .into_iter()
            .filter(|p| p.is_dir())
            .collect();
        if let Some(latest) = versions.last() {
            let name = service
                .file_name()
                .and_then(|n| n.to_str())
                .expect("botocore service names are ASCII");
            services.push((name.to_string(), latest.join("service-2.json.gz")));
        }
    }
    if services.is_empty() {
        return Err(format!("no service models under {}", data.display()));
    }
    Ok(services)
}

/// Fetches each legacy model's wheel and returns (embedded name, service, model path).
fn legacy_models(cache: &Path) -> Result<Vec<(String, String, PathBuf)>> {
    let mut out = Vec::new();
    for (name, service, version) in LEGACY_MODELS {
        let wheel =
            download_files(cache, &[format!("botocore-{version}-py3-none-any.whl")])?.remove(0);
        let dir = cache.join(format!("botocore-{version}-wheel"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).context(|| format!("removing {}", dir.display()))?;
        }
        command_output(
            Command::new("python3")
                .args(["-m", "zipfile", "-e"])
                .arg(&wheel)
                .arg(&dir),
        )?;
        let versions: Vec<PathBuf> = sorted_entries(&dir.join("botocore/data").join(service))?
            .into_iter()
            .filter(|p| p.is_dir())
            .collect();
        let latest = versions
            .last()
            .ok_or_else(|| format!("botocore {version} has no {service} model"))?;
        // Older wheels ship the models uncompressed.
        let path = ["service-2.json.gz", "service-2.json"]
            .into_iter()
            .map(|f| latest.join(f))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("no service-2.json under {}", latest.display()))?;
        out.push((name.to_string(), service.to_string(), path));
    }
    Ok(out)
}

fn read_model(path: &Path) -> Result<Vec<u8>> {
    if path.extension().is_some_and(|e| e == "gz") {
        gunzip_file(path)
    } else {
        std::fs::read(path).context(|| format!("reading {}", path.display()))
    }
}

fn gunzip_file(path: &Path) -> Result<Vec<u8>> {
    let compressed = std::fs::read(path).context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    GzDecoder::new(&compressed[..])
        .read_to_end(&mut out)
        .context(|| format!("gunzipping {}", path.display()))?;
    Ok(out)
}

fn index_entry(model: &Value) -> Value {
    let metadata = model.get("metadata");
    let entry = INDEX_KEYS
        .iter()
        .filter_map(|key| Some((key.to_string(), metadata?.get(*key)?.clone())))
        .collect();
    Value::Object(entry)
}

fn strip_docs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| !DROPPED_KEYS.contains(&key.as_str()));
            map.values_mut().for_each(strip_docs);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_docs),
        _ => {}
    }
}

/// miniz_oxide compresses differently from the zlib the original script used, so
/// the gzip bytes can't match; comparing the decompressed JSON instead keeps an
/// unchanged model's file, and git, untouched.
fn write_model(path: &Path, json: &[u8]) -> Result<bool> {
    if path.exists() && gunzip_file(path).is_ok_and(|old| old == json) {
        return Ok(false);
    }
    // Same header as Python's GzipFile(mtime=0, filename=''): no name, no timestamp.
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::best());
    encoder
        .write_all(json)
        .and_then(|()| encoder.finish())
        .map_or_else(
            |err| Err(format!("gzipping {}: {err}", path.display())),
            |gz| write_if_changed(path, &gz),
        )
}

/// A service botocore dropped must leave too, or it would linger unembedded.
/// Returns how many files it removed.
fn remove_stale_models(models_dir: &Path, services: &[(String, PathBuf)]) -> Result<usize> {
    let current: BTreeSet<&str> = services.iter().map(|(name, _)| name.as_str()).collect();
    let mut removed = 0;
    for path in sorted_entries(models_dir)? {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if file_name
            .strip_suffix(".json.gz")
            .is_some_and(|name| !current.contains(name))
        {
            std::fs::remove_file(&path).context(|| format!("removing {}", path.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn embedded_rs(version: &str, services: &[(String, PathBuf)]) -> String {
    let mut out = format!(
        "// @generated by cargo xtask models from botocore {version}. Do not edit.\n\n\
         /// The botocore release the models were taken from.\n\
         pub const BOTOCORE_VERSION: &str = \"{version}\";\n\n\
         /// Service name -> routing metadata (`apiVersion`, `endpointPrefix`, `protocol`, ...).\n\
         pub static INDEX: &str = include_str!(\"../models/index.json\");\n\n\
         /// Service name -> gzipped service model without documentation, sorted by name.\n\
         // One entry a line whatever its length, which rustfmt would otherwise reflow.\n\
         #[rustfmt::skip]\n\
         pub static MODELS: &[(&str, &[u8])] = &[\n"
    );
    for (name, _) in services {
        let _ = writeln!(
            out,
            "    (\"{name}\", include_bytes!(\"../models/{name}.json.gz\")),"
        );
    }
    out.push_str("];\n");
    out
}

/// Makes `to` an exact copy of the `from` tree; returns how many files it wrote or removed.
fn mirror_tree(from: &Path, to: &Path) -> Result<usize> {
    let wanted = relative_files(from)?;
    let mut changed = 0;
    for rel in &wanted {
        let src = from.join(rel);
        let contents = std::fs::read(&src).context(|| format!("reading {}", src.display()))?;
        changed += usize::from(write_if_changed(&to.join(rel), &contents)?);
    }
    if to.exists() {
        for rel in relative_files(to)?.difference(&wanted) {
            let stale = to.join(rel);
            std::fs::remove_file(&stale).context(|| format!("removing {}", stale.display()))?;
            changed += 1;
        }
    }
    Ok(changed)
}

fn relative_files(root: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut files = BTreeSet::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for path in sorted_entries(&dir)? {
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.insert(
                    path.strip_prefix(root)
                        .expect("walked paths lie under the root")
                        .to_path_buf(),
                );
            }
        }
    }
    Ok(files)
}

/// Serialises exactly as Python's `json.dumps(value, separators=(',', ':'), sort_keys=...)`
/// does with its default `ensure_ascii=True`, the format the committed files are in.
fn python_json(value: &Value, sort_keys: bool) -> String {
    let mut out = String::new();
    write_python_json(value, sort_keys, &mut out);
    out
}

fn write_python_json(value: &Value, sort_keys: bool, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) => out.push_str(&python_float(f)),
            None => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => write_python_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_python_json(item, sort_keys, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if sort_keys {
                // Byte order of UTF-8 is code point order, which is how Python sorts str.
                entries.sort_by_key(|(key, _)| *key);
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_python_str(key, out);
                out.push(':');
                write_python_json(item, sort_keys, out);
            }
            out.push('}');
        }
    }
}

/// Python escapes everything outside printable ASCII, astral characters as UTF-16
/// surrogate pairs, in lowercase hex.
fn write_python_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Python's `repr(float)`: the shortest digits that round-trip (as Rust's formatting
/// also picks), in exponent form with a signed, two-digit-minimum exponent when the
/// decimal exponent is below -4 or at least 16, else positional with at least one
/// fractional digit.
fn python_float(f: f64) -> String {
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` output has an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` exponent is an integer");
    if f != 0.0 && !(-4..16).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let positional = f.to_string();
        if positional.contains('.') {
            positional
        } else {
            positional + ".0"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_python_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
            (1e-7, "1e-07"),
            (1.5e-16, "1.5e-16"),
            (-19.5, "-19.5"),
            (0.999999, "0.999999"),
            (2000000000.0, "2000000000.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (f, python) in cases {
            assert_eq!(python_float(f), python, "{f:?}");
        }
    }

    #[test]
    fn strings_match_python_ensure_ascii() {
        let mut out = String::new();
        write_python_str("a\"\\\n\u{1}\u{7f}é€😀", &mut out);
        assert_eq!(out, r#""a\"\\\n\u0001\u007f\u00e9\u20ac\ud83d\ude00""#);
    }
}
