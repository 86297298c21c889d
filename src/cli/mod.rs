//! The `ccemu` subcommands beside the server: `sign` (a ready curl line for any vendor call) and
//! `routes` (the route catalogue). They live in the library so tests can call them directly, and
//! they sign with the vendors' own helpers (`vendors::*::auth`), so what `sign` prints is what
//! the emulator checks.

pub mod check;
mod fetch;
pub mod import;
pub mod report;
pub mod sign;

use crate::vendors::catalogue;

/// `ccemu routes`: one line per route, columns aligned; `--json` prints `GET /_ccemu/routes`'s
/// answer instead.
pub fn routes(json: bool) -> String {
    let all = catalogue();
    if json {
        return serde_json::to_string_pretty(&serde_json::json!({ "routes": all }))
            .unwrap_or_default()
            + "\n";
    }
    let width =
        |f: &dyn Fn(&crate::vendors::CatalogueEntry) -> usize| all.iter().map(f).max().unwrap_or(0);
    let wv = width(&|e| e.vendor.name().len());
    let wm = width(&|e| e.route.method.len());
    let wp = width(&|e| e.route.path.len());
    let wo = width(&|e| e.route.operation.len());
    let mut out = format!(
        "{:wv$}  {:wm$}  {:wp$}  {:wo$}  {}\n",
        "VENDOR", "METHOD", "PATH", "OPERATION", "DOCUMENT"
    );
    for e in &all {
        out.push_str(&format!(
            "{:wv$}  {:wm$}  {:wp$}  {:wo$}  {}\n",
            e.vendor.name(),
            e.route.method,
            e.route.path,
            e.route.operation,
            e.route.doc
        ));
    }
    out
}

/// `text` quoted for a POSIX shell: in single quotes, each `'` written as `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_lists_every_vendor_and_quotes_are_shell_safe() {
        let text = routes(false);
        assert!(text.contains("createAgent"));
        assert!(text.contains("agentGroup/member/list"));
        assert!(text.contains("tokenByAkSk"));
        let json: serde_json::Value = serde_json::from_str(&routes(true)).unwrap();
        assert_eq!(json["routes"].as_array().unwrap().len(), catalogue().len());
        assert_eq!(
            text.lines().count(),
            catalogue().len() + 1,
            "a header and one line a route"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
