//! The `kith` command line (native only).

fn main() {
    std::process::exit(kith::cli::main());
}
