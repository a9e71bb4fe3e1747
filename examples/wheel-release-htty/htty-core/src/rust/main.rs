//! ht: the binary of an htty-shaped fixture. Its version string is written into the code, as
//! htty's is, and kept in step by wheel-release's regex place.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version") => println!("ht 0.2.30 (unknown)"),
        Some("echo") => println!("{}", args[1..].join(" ")),
        _ => {
            eprintln!("usage: ht --version | ht echo WORDS...");
            std::process::exit(2);
        }
    }
}
