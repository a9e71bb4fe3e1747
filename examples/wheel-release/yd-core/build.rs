// Bakes the commit being built into the binary: PACKYARD_GIT_SHA (set by the build), else
// `git rev-parse` in the source tree, else "unknown" (an sdist built outside git).
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PACKYARD_GIT_SHA");
    let sha = std::env::var("PACKYARD_GIT_SHA")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let short: String = sha.chars().take(8).collect();
    println!("cargo:rustc-env=YD_GIT_SHA={short}");
}
