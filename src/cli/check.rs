//! `ccemu check FILE...`: validates users' fixtures and scenarios offline, for a pre-commit hook
//! or a CI step. Each file is checked against its JSON Schema (`schemas/`), every violation
//! printed with its JSON Pointer and line; a file the schema accepts then goes through the same
//! checks ccemu runs when it loads one (the model's invariants, the rules' consistency), which
//! no schema can express.

use crate::contract::schemas::{self, Schema};
use crate::scenarios::timeline::Event;
use crate::scenarios::ScenarioFile;
use serde_json::Value;
use std::path::Path;

/// What checking a set of files found: the lines to print, and whether all passed.
pub struct Outcome {
    pub report: String,
    pub ok: bool,
}

/// Checks each file; `kind` (a schema name) overrides what each file's `$schema` or keys say.
pub fn check_files(paths: &[impl AsRef<Path>], kind: Option<&str>) -> Outcome {
    let mut report = String::new();
    let mut ok = true;
    for path in paths {
        let path = path.as_ref();
        let problems = check_file(path, kind);
        if problems.is_empty() {
            report.push_str(&format!("{}: ok\n", path.display()));
        } else {
            ok = false;
            for p in problems {
                report.push_str(&format!("{}:{p}\n", path.display()));
            }
        }
    }
    Outcome { report, ok }
}

/// Each problem as `LINE: POINTER: message` (line and pointer left out where unknown).
fn check_file(path: &Path, kind: Option<&str>) -> Vec<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!(" cannot read: {e}")],
    };
    let doc: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return vec![format!("{}: not JSON: {e}", e.line())],
    };
    let schema = match kind {
        Some(k) => schemas::by_name(k),
        None => schemas::kind_of(&doc),
    };
    let Some(schema) = schema else {
        let names: Vec<&str> = schemas::ALL.iter().map(|s| s.name).collect();
        return vec![format!(
            " cannot tell what this file is: name its schema with \"$schema\" or pass --kind ({})",
            names.join(", ")
        )];
    };
    let found = match schemas::violations(schema, &text, &doc) {
        Ok(v) => v,
        Err(e) => return vec![format!(" {e}")],
    };
    if !found.is_empty() {
        return found
            .into_iter()
            .map(|v| {
                let pointer = if v.pointer.is_empty() {
                    "/"
                } else {
                    &v.pointer
                };
                match v.line {
                    Some(line) => format!("{line}: {pointer}: {}", v.message),
                    None => format!(" {pointer}: {}", v.message),
                }
            })
            .collect();
    }
    loader_refusal(schema, &text)
        .map(|e| vec![format!(" {e}")])
        .unwrap_or_default()
}

/// What ccemu's own loader says about a file its schema accepts.
fn loader_refusal(schema: &Schema, text: &str) -> Option<String> {
    match schema.name {
        "fixture" => crate::model::fixture::parse(text).err(),
        "scenario" => {
            let file: ScenarioFile = match serde_json::from_str(text) {
                Ok(f) => f,
                Err(e) => return Some(format!("scenario: {e}")),
            };
            for (i, rule) in file.rules.iter().enumerate() {
                if let Err(e) = rule.validate() {
                    return Some(format!("/rules/{i}: {e}"));
                }
            }
            file.timeline.iter().enumerate().find_map(|(i, e)| {
                let call = match &e.event {
                    Event::Call { call } | Event::Load { call, .. } => call,
                    _ => return None,
                };
                call.validate()
                    .err()
                    .map(|e| format!("/timeline/{i}/call: {e}"))
            })
        }
        _ => None,
    }
}
