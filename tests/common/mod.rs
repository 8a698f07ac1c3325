//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data folder (`../shared/data`, or `KITH_DATA`). MovieLens is
/// never copied into the project, so tests read it from there; a missing
/// folder fails the test rather than skipping it.
pub fn shared_data(name: &str) -> PathBuf {
    let base = std::env::var_os("KITH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let p = base.join(name);
    assert!(
        p.is_dir(),
        "{} is missing: tests read MovieLens from ../shared/data (or set KITH_DATA)",
        p.display()
    );
    p
}

/// The embedded goodbooks copy shipped with the project.
pub fn embedded_goodbooks() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/goodbooks")
}

/// Writes files into a fresh temporary folder.
pub fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    dir
}

/// Runs the `kith` binary.
pub fn kith(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(args)
        .output()
        .expect("kith runs")
}

/// Runs the `kith` binary with `input` on its standard input.
pub fn kith_with_input(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kith runs");
    // A child that refuses its arguments exits without reading its input:
    // the pipe is then closed, which is not the test's failure.
    match child.stdin.as_mut().expect("stdin").write_all(input) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.expect("input written"),
    }
    child.wait_with_output().expect("kith finishes")
}

/// A command's standard output as text.
pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A command's standard error as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
