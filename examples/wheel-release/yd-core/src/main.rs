//! yd: the binary of packyard's wheel-release example.

/// The release version, kept equal to release.yaml by `wheel-release sync`.
pub const VERSION: &str = "0.1.0";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version") | Some("-V") => println!("yd {} ({})", VERSION, env!("YD_GIT_SHA")),
        Some("echo") => println!("{}", args[1..].join(" ")),
        _ => {
            eprintln!("usage: yd --version | yd echo WORDS...");
            std::process::exit(2);
        }
    }
}
