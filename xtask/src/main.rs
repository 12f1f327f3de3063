//! Maintainer tasks for Stratus, run as `cargo xtask <command>`.
//!
//! These regenerate committed files; building Stratus itself never runs them.

mod codegen;
mod coverage;
mod models;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  models [--botocore-version X.Y.Z]
      Regenerate crates/stratus-protocol/{models,src/embedded.rs,tests/botocore}
      from botocore's wheel and sdist on PyPI (needs curl, python3 and tar).
  codegen
      Regenerate src/generated.rs of every service crate from its operations.txt.
  coverage
      Regenerate docs/coverage/ from the models and each crate's operations.txt.";

type Result<T, E = String> = std::result::Result<T, E>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("models") => models::run(&args[1..]),
        Some("codegen") => codegen::run(&args[1..]),
        Some("coverage") => coverage::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root, found from where this crate lives rather than the current
/// directory, so `cargo xtask` works from any subdirectory.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask's manifest dir has a parent (the workspace root)")
}

/// Attaches a description of what was being attempted to an error.
trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|err| format!("{}: {err}", what()))
    }
}

/// Lists a directory's entries, sorted by name so every run sees the same order.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths = std::fs::read_dir(dir)
        .and_then(|entries| {
            entries
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        })
        .context(|| format!("listing {}", dir.display()))?;
    paths.sort();
    Ok(paths)
}

/// Writes `contents` only when they differ, so an unchanged output keeps its
/// mtime and doesn't make cargo rebuild whatever includes it. Returns whether it wrote.
fn write_if_changed(path: &Path, contents: &[u8]) -> Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, contents).context(|| format!("writing {}", path.display()))?;
    Ok(true)
}
