//! The floors (docs/internals.md): every file under src/ may name, through a `crate::` path, only
//! its own room or a room on a floor below its own. An upward path ties the floors into a
//! circle, so that nothing can be read, tested or changed on its own again; this test names
//! each one: the file, the path it writes, and both floors.
//!
//! What is checked: every `crate::a::b` in code (use lines and inline paths; comments are
//! skipped). A path names the most specific room in `FLOORS` (`crate::contract::drift` is the
//! room `contract/drift`, `crate::contract::strict` the room `contract`); a file is in the room
//! its path under src/ starts with (src/vendors/udesk/agents.rs is in `vendors`).
use std::path::{Path, PathBuf};

/// The floors, lowest first: a room may import its own files and the rooms of lower floors.
/// Rooms on one floor do not import each other. To add a module, give it a floor here.
const FLOORS: &[(&str, &[&str])] = &[
    // The ground: the virtual clock, hex digits, HTTP types, the model with its outbox, the
    // vocabulary route tables are written in, TLS; then the router, which reads that vocabulary.
    (
        "ground",
        &[
            "clock",
            "head_deadline",
            "hex",
            "http",
            "hub",
            "metrics",
            "model",
            "offload",
            "op",
            "read_cache",
            "snapshot_store",
            "tls",
        ],
    ),
    ("ground: router and body check", &["routing", "conform"]),
    // The engine: each subsystem is handed what it works on (a model and a clock, an outbox, a
    // request's description) and never names `Ctx`.
    ("engine: records", &["journal", "coverage"]),
    ("engine: calls", &["calls"]),
    ("engine: scenarios", &["scenarios"]),
    ("engine: events", &["events"]),
    // `Ctx` and what it composes the engine with.
    ("composition: sandboxes", &["sandbox"]),
    ("composition: Ctx", &["emulator"]),
    ("composition: state file", &["persist"]),
    ("composition: named snapshots", &["snapshots"]),
    // The vendors' faces sit on `Ctx`; the contract machinery reads their route tables.
    ("faces", &["vendors"]),
    ("contract", &["contract"]),
    // What serves and drives it all.
    ("admin", &["admin"]),
    ("top", &["server", "cli", "contract/drift", "lib", "main"]),
];

/// Upward imports known and not untied yet: (file prefix, room imported, why). The test fails
/// when one of these is no longer needed, so the list only shrinks. Never add to it to pass.
const NOT_YET: &[(&str, &str, &str)] = &[];

fn floor_of(room: &str) -> Option<(usize, &'static str, &'static str)> {
    let mut best: Option<(usize, &'static str, &'static str)> = None;
    for (i, (name, rooms)) in FLOORS.iter().enumerate() {
        for r in rooms.iter() {
            let hit = room == *r || room.starts_with(&format!("{r}/"));
            if hit && best.is_none_or(|(_, _, b)| r.len() > b.len()) {
                best = Some((i, name, r));
            }
        }
    }
    best
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The room path a file is in: src/vendors/udesk/agents.rs → vendors/udesk/agents.
fn room_of_file(rel: &str) -> String {
    let r = rel.trim_start_matches("src/").trim_end_matches(".rs");
    r.trim_end_matches("/mod").to_string()
}

/// Every `crate::a::b...` in `line`, as "a/b/..." (identifier segments only).
fn crate_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::`, `mycrate::`
        }
        // Lowercase segments joined by `::`: the module path (an item's name ends it).
        let mut segs: Vec<&str> = Vec::new();
        let mut at = rest;
        loop {
            let end = at
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(at.len());
            let seg = &at[..end];
            if seg.is_empty() || !seg.starts_with(|c: char| c.is_lowercase()) {
                break;
            }
            segs.push(seg);
            match at[end..].strip_prefix("::") {
                Some(next) => at = next,
                None => break,
            }
        }
        if !segs.is_empty() {
            out.push(segs.join("/"));
        } else if rest.starts_with(|c: char| c.is_uppercase()) {
            out.push("lib".into()); // an item of lib.rs itself (`crate::Emulator`)
        }
    }
    out
}

#[test]
fn every_import_points_down_a_floor_or_stays_in_its_room() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    all.sort();
    let mut wrong = Vec::new();
    let mut unplaced = Vec::new();
    let mut used_not_yet = vec![false; NOT_YET.len()];
    for path in &all {
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let own_room = room_of_file(&rel);
        let Some((own_floor, own_name, own_key)) = floor_of(&own_room) else {
            unplaced.push(rel.clone());
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for p in crate_paths(code) {
                let Some((floor, name, key)) = floor_of(&p) else {
                    unplaced.push(format!(
                        "{rel}:{}: `crate::{}` names no room in FLOORS",
                        n + 1,
                        p.replace('/', "::")
                    ));
                    continue;
                };
                let same_room = key == own_key;
                if same_room || floor < own_floor {
                    continue;
                }
                if let Some(i) = NOT_YET
                    .iter()
                    .position(|(f, r, _)| rel.starts_with(f) && *r == key)
                {
                    used_not_yet[i] = true;
                    continue;
                }
                wrong.push(format!(
                    "{rel}:{}: imports `crate::{}`, room `{key}` on floor {floor} \"{name}\"; \
                     {rel} is in room `{own_key}` on floor {own_floor} \"{own_name}\"{}",
                    n + 1,
                    p.replace('/', "::"),
                    if floor == own_floor {
                        " (rooms on one floor do not import each other)"
                    } else {
                        " (an upward import)"
                    }
                ));
            }
        }
    }
    let stale: Vec<String> = NOT_YET
        .iter()
        .zip(&used_not_yet)
        .filter(|(_, used)| !**used)
        .map(|((f, r, _), _)| format!("{f} no longer imports `{r}`: remove it from NOT_YET"))
        .collect();
    assert!(
        unplaced.is_empty(),
        "files or paths in no room of FLOORS (give each a floor in tests/floors.rs):\n{}",
        unplaced.join("\n")
    );
    assert!(
        wrong.is_empty(),
        "imports that point up or sideways (see docs/internals.md for the floors):\n{}",
        wrong.join("\n")
    );
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

#[test]
fn the_path_reader_sees_what_a_file_imports() {
    assert_eq!(
        crate_paths("use crate::scenarios::rules::{body_object, MatchSpec};"),
        ["scenarios/rules"]
    );
    assert_eq!(
        crate_paths("let x: &crate::op::Op = crate::journal::matcher::glob(a, b);"),
        ["op", "journal/matcher/glob"]
    );
    assert_eq!(
        crate_paths("macro $crate::x and foocrate::y"),
        Vec::<String>::new()
    );
    assert_eq!(crate_paths("crate::Emulator::start()"), ["lib"]);
    assert_eq!(floor_of("contract/drift").unwrap().2, "contract/drift");
    assert_eq!(floor_of("contract/strict/Finding").unwrap().2, "contract");
    assert_eq!(floor_of("journal/matcher").unwrap().2, "journal");
    assert!(floor_of("events").unwrap().0 > floor_of("scenarios").unwrap().0);
    assert_eq!(room_of_file("src/vendors/udesk/mod.rs"), "vendors/udesk");
}
