//! The docs are tested (issue 12): README.md and every docs/*.md present. Each ```json block
//! parses; each ```sh block runs with `sh` against a live emulator (one per page, blocks in page
//! order, `http://127.0.0.1:8080` replaced by its URL, `ccemu` on PATH, `curl` failing on an HTTP
//! error status); relative links resolve inside the repository; nothing links to ../shared.
//!
//! A block marked `template` after its language (```json template, ```sh template) is an
//! illustration and is skipped. docs/operations.md, docs/events.md and docs/calls.md are written
//! on other branches; links to them are allowed before they exist, and they are checked like
//! every other page once they do.
mod common;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DOCS_URL: &str = "http://127.0.0.1:8080";
/// Pages other branches add; linking to them before they land is fine.
const PENDING: [&str; 3] = ["docs/operations.md", "docs/events.md", "docs/calls.md"];

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![Path::new(ROOT).join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

fn name(page: &Path) -> String {
    page.strip_prefix(ROOT)
        .unwrap_or(page)
        .display()
        .to_string()
}

struct Block {
    lang: String,
    template: bool,
    line: usize,
    text: String,
}

/// The fenced blocks of a page (fences at the start of a line).
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                let mut words = info.split_whitespace();
                open = Some(Block {
                    lang: words.next().unwrap_or("").to_string(),
                    template: words.any(|w| w == "template"),
                    line: i + 1,
                    text: String::new(),
                });
            }
            (Some(_), Some(rest)) if rest.trim().is_empty() => out.extend(open.take()),
            (Some(b), _) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    out
}

#[test]
fn every_json_block_parses() {
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for b in blocks(&text)
            .into_iter()
            .filter(|b| b.lang == "json" && !b.template)
        {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&b.text) {
                panic!("{}:{}: not JSON ({e}):\n{}", name(&page), b.line, b.text);
            }
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} JSON blocks found");
}

/// A directory with `ccemu` and a `curl` that fails on HTTP errors, to put first on PATH (so
/// shells started by the blocks, `ccemu sign … | sh`, use them too).
fn tool_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ccemu-docs-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = Command::new("sh")
        .args(["-c", "command -v curl"])
        .output()
        .expect("sh runs");
    let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
    assert!(!real.is_empty(), "the docs test needs curl");
    let curl = dir.join("curl");
    std::fs::write(
        &curl,
        format!("#!/bin/sh\nexec {real} -sS --fail-with-body \"$@\"\n"),
    )
    .unwrap();
    let ccemu = dir.join("ccemu");
    let _ = std::fs::remove_file(&ccemu);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&curl, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ccemu"), &ccemu).unwrap();
    }
    dir
}

#[test]
fn every_shell_block_runs_against_a_live_emulator() {
    let tools = tool_dir();
    let path = format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let runnable: Vec<Block> = blocks(&text)
            .into_iter()
            .filter(|b| matches!(b.lang.as_str(), "sh" | "bash" | "shell") && !b.template)
            .collect();
        if runnable.is_empty() {
            continue;
        }
        let emu = common::start();
        for b in runnable {
            let script = format!("set -e\n{}", b.text.replace(DOCS_URL, &emu.url()));
            let out = Command::new("timeout")
                .args(["30", "sh", "-c", &script])
                .env("PATH", &path)
                .output()
                .expect("sh runs");
            assert!(
                out.status.success(),
                "{}:{}: the block failed ({}):\n{}\nstdout: {}\nstderr: {}",
                name(&page),
                b.line,
                out.status,
                b.text,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&tools);
    assert!(ran >= 10, "only {ran} shell blocks ran");
}

/// `](target)` links of a page.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn links_resolve_inside_the_repository_and_nothing_points_at_shared() {
    let root = Path::new(ROOT).canonicalize().unwrap();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        assert!(
            !text.contains("../shared") && !text.contains("/work/shared"),
            "{} links outside the repository",
            name(&page)
        );
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") || link.starts_with('#')
            {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = page.parent().unwrap().join(file);
            if !anchor.is_empty() && target.exists() {
                let heads = std::fs::read_to_string(&target).unwrap_or_default();
                assert!(
                    heads
                        .lines()
                        .filter_map(|l| l.strip_prefix('#'))
                        .any(|h| slug(h) == anchor),
                    "{}: {link}: no such heading",
                    name(&page)
                );
            }
            match target.canonicalize() {
                Ok(t) => assert!(
                    t.starts_with(&root),
                    "{}: {link} leaves the repository",
                    name(&page)
                ),
                Err(_) => {
                    let pending = PENDING
                        .iter()
                        .any(|p| target.ends_with(p) || target == Path::new(ROOT).join(p));
                    assert!(pending, "{}: broken link {link}", name(&page));
                }
            }
        }
    }
}

#[test]
fn the_readme_is_a_short_guide_that_reaches_every_page() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    assert!(
        readme.lines().count() <= 150,
        "README has {} lines",
        readme.lines().count()
    );
    assert!(readme.contains("cargo run --release") && readme.contains("cargo test"));
    assert!(readme.contains("cargo install --path ."));
    for page in pages().iter().skip(1) {
        let link = format!("docs/{}", page.file_name().unwrap().to_string_lossy());
        assert!(
            readme.contains(&format!("]({link})")),
            "README does not link {link}"
        );
    }
    for pending in PENDING {
        assert!(
            readme.contains(&format!("]({pending})")),
            "README does not link {pending}"
        );
    }
    let admin = std::fs::read_to_string(Path::new(ROOT).join("docs/admin.md")).unwrap();
    for pending in PENDING {
        let file = pending.trim_start_matches("docs/");
        assert!(
            admin.contains(&format!("]({file})")),
            "docs/admin.md does not link {file}"
        );
    }
}

#[test]
fn each_vendor_page_names_every_route_of_its_vendor() {
    for entry in ccemu::vendors::catalogue() {
        let page = Path::new(ROOT).join(format!("docs/{}.md", entry.vendor.name()));
        let text = std::fs::read_to_string(&page).unwrap();
        assert!(
            text.contains(&format!("`{}`", entry.route.path))
                && text.contains(&format!("`{}`", entry.route.operation)),
            "{} does not list {} {} ({})",
            name(&page),
            entry.route.method,
            entry.route.path,
            entry.route.operation
        );
    }
}
