//! What the golden tests of the built binary share.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// The repository root (tests run the binary there, as a user would).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn quickstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quickstep"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the quickstep binary runs")
}

/// Standard output as the one JSON object (on one line) the commands print.
pub fn stdout_json(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim().lines().count(), 1, "one line: {text}");
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("stdout is one JSON object ({e}): {text}"))
}

/// Writes a file into this test process's own temporary folder; gives its path.
pub fn temp_file(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("quickstep-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

/// `quickstep serve` on a free port with `args` and the environment `env`; killed when
/// dropped. Its endpoint is read from the one line it prints at start.
pub struct Server {
    child: std::process::Child,
    pub endpoint: String,
    /// The line it printed.
    pub said: String,
}

impl Server {
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_quickstep"))
            .args(["serve", "--port", "0"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("quickstep serve starts");
        let mut said = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut said)
            .unwrap();
        let endpoint = said
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("quickstep serve said {said:?}"))
            .to_owned();
        Self {
            child,
            endpoint,
            said,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
