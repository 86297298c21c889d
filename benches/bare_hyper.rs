//! The baseline server of `bench/run.sh`: hyper with nothing behind it, on the same runtime shape
//! as ccemu (2 workers), answering each path with fixed bytes read from files: the very bytes
//! ccemu answered for that path, so the two move the same payload and the ratio is what ccemu
//! adds (auth, lock, model, serialisation, journal).
//!
//! `cargo bench --bench bare_hyper -- PORT /path=FILE...` (cargo's own `--bench` flag is ignored).

#[path = "common/bare.rs"]
mod bare;

use hyper::body::Bytes;
use std::collections::HashMap;

/// The same allocator as ccemu's binary, so that the ratio is what ccemu does, not whose malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(port) = args.first().and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: bare_hyper PORT /path=FILE...");
        std::process::exit(2);
    };
    let mut bodies = HashMap::new();
    for spec in &args[1..] {
        let Some((path, file)) = spec.split_once('=') else {
            eprintln!("bad spec {spec}: expected /path=FILE");
            std::process::exit(2);
        };
        match std::fs::read(file) {
            Ok(b) => {
                bodies.insert(path.to_string(), Bytes::from(b));
            }
            Err(e) => {
                eprintln!("cannot read {file}: {e}");
                std::process::exit(2);
            }
        }
    }
    bare::serve(([127, 0, 0, 1], port).into(), bodies, |_| {});
}
