//! `kith split`: a bundle as the parts a page downloads in stages, and the
//! manifest (`STEM.json`) the page is pointed at.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::core::bundle::Bundle;
use crate::core::parts::Part;
use crate::offline::build::split::split;

/// Arguments of `kith split`.
#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The bundle written by `kith build`.
    #[arg(long)]
    bundle: PathBuf,
    /// Folder for the parts and the manifest (created if missing).
    #[arg(long)]
    out_dir: PathBuf,
    /// First word of every file name (default: the bundle's file stem).
    #[arg(long)]
    stem: Option<String>,
    /// Delete this stem's part files that the new manifest no longer lists.
    #[arg(long)]
    prune: bool,
}

/// Writes `bytes` to `path` through a temporary file, so a reader never
/// sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).with_context(|| tmp.display().to_string())?;
    std::fs::rename(&tmp, path).with_context(|| path.display().to_string())
}

pub fn run(a: SplitArgs) -> Result<()> {
    let bytes = std::fs::read(&a.bundle).with_context(|| a.bundle.display().to_string())?;
    let bundle = Bundle::from_bytes(&bytes).with_context(|| a.bundle.display().to_string())?;
    let stem = match &a.stem {
        Some(s) => s.clone(),
        None => a
            .bundle
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("bundle")
            .to_string(),
    };
    if stem.is_empty() || stem.contains(['/', '\\']) || stem.starts_with('.') {
        bail!("--stem {stem:?} must be a plain file name");
    }
    std::fs::create_dir_all(&a.out_dir).with_context(|| a.out_dir.display().to_string())?;
    let (manifest, files) = split(&bundle, &stem);
    for f in &files {
        let path = a.out_dir.join(&f.name);
        // Content-addressed: a file of this name already holds these bytes.
        if std::fs::read(&path).ok().as_deref() != Some(&f.bytes[..]) {
            write_atomically(&path, &f.bytes)?;
        }
        eprintln!("  {:<44} {:>8.2} MB", f.name, f.bytes.len() as f64 / 1e6);
    }
    let manifest_path = a.out_dir.join(format!("{stem}.json"));
    write_atomically(&manifest_path, manifest.to_json().as_bytes())?;
    if a.prune {
        let keep: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        // Only names of the form STEM.PART.HASH.kith: a whole bundle
        // (STEM.kith) next to the parts is left alone.
        let is_part = |name: &str| {
            Part::ALL.iter().any(|p| {
                name.strip_prefix(&format!("{stem}.{}.", p.name()))
                    .and_then(|rest| rest.strip_suffix(".kith"))
                    .is_some_and(|hash| {
                        !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit())
                    })
            })
        };
        for entry in std::fs::read_dir(&a.out_dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_part(name) && !keep.contains(&name) {
                let old = a.out_dir.join(name);
                std::fs::remove_file(&old).with_context(|| old.display().to_string())?;
                eprintln!("  removed {name}");
            }
        }
    }
    eprintln!(
        "kith: wrote {} ({} parts, {:.1} MB)",
        manifest_path.display(),
        files.len(),
        files.iter().map(|f| f.bytes.len()).sum::<usize>() as f64 / 1e6
    );
    Ok(())
}
