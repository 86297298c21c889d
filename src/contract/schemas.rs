//! The JSON Schemas (draft 2020-12) of the files users write for ccemu: fixtures, scenarios and
//! IVR flows.
//! The files in `schemas/` are the source; they are compiled into the binary so that
//! `GET /_ccemu/schemas/{name}.json` and `ccemu check` work offline and always match the
//! running version.
//!
//! Each schema stands alone (its `$ref`s stay inside the file), so an editor or `ccemu check`
//! needs no resolver: the IVR flow definitions of `ivr-flow.json` are copied into the `$defs` of
//! `fixture.json` and `scenario.json`, and `tests/schemas.rs` keeps the copies equal.
//!
//! The schemas are written by hand rather than derived, so that their descriptions speak to the
//! person editing a file; `tests/schemas.rs` keeps them honest against the loaders (every shipped
//! file and every state ccemu writes validates, every key the loaders refuse the schema refuses).

use serde_json::Value;

/// A schema users can name: `name` is the file stem (`fixture` → `schemas/fixture.json`).
pub struct Schema {
    pub name: &'static str,
    pub text: &'static str,
    /// What the files it describes are, for `ccemu check` and the docs.
    pub describes: &'static str,
}

/// Every schema ccemu serves; a new file kind is one more entry.
pub const ALL: &[Schema] = &[
    Schema {
        name: "fixture",
        text: include_str!("../../schemas/fixture.json"),
        describes: "a fixture (--fixture, POST /_ccemu/fixture, GET /_ccemu/state)",
    },
    Schema {
        name: "scenario",
        text: include_str!("../../schemas/scenario.json"),
        describes: "a scenario (--scenario, POST /_ccemu/scenarios)",
    },
    Schema {
        name: "ivr-flow",
        text: include_str!("../../schemas/ivr-flow.json"),
        describes: "an IVR flow (PUT /_ccemu/ivr-flows, a fixture tenant's ivr_flows)",
    },
];

pub fn by_name(name: &str) -> Option<&'static Schema> {
    ALL.iter().find(|s| s.name == name)
}

impl Schema {
    pub fn value(&self) -> Value {
        serde_json::from_str(self.text)
            .expect("the embedded schemas are valid JSON (tests/schemas.rs)")
    }
}

/// The schema a file asks for with `$schema` (its last path segment, `…/fixture.json`), or the
/// one its keys point to: `tenants` is a fixture, `name`/`rules`/`timeline` a scenario, `nodes`
/// an IVR flow.
pub fn kind_of(doc: &Value) -> Option<&'static Schema> {
    if let Some(named) = doc.get("$schema").and_then(Value::as_str) {
        let stem = named
            .rsplit(['/', ':'])
            .next()
            .unwrap_or(named)
            .trim_end_matches(".json");
        if let Some(s) = by_name(stem) {
            return Some(s);
        }
    }
    let has = |k: &str| doc.get(k).is_some();
    if has("tenants") {
        by_name("fixture")
    } else if has("nodes") {
        // Before `name`: a flow has one too.
        by_name("ivr-flow")
    } else if has("rules") || has("timeline") || has("faults") || has("name") {
        by_name("scenario")
    } else {
        None
    }
}

/// One schema violation: where (a JSON Pointer, and the 1-based line in the text when known)
/// and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub pointer: String,
    pub line: Option<usize>,
    pub message: String,
}

/// Every violation of `schema` in `text` (already known to be JSON), in document order.
pub fn violations(schema: &Schema, text: &str, doc: &Value) -> Result<Vec<Violation>, String> {
    let validator = jsonschema::draft202012::new(&schema.value())
        .map_err(|e| format!("schema {}: {e}", schema.name))?;
    let mut out: Vec<Violation> = validator
        .iter_errors(doc)
        .map(|e| {
            let mut pointer = e.instance_path().as_str().to_string();
            // An unknown key is best shown on its own line, not its object's.
            if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } =
                e.kind()
            {
                if let Some(first) = unexpected.first() {
                    pointer.push('/');
                    pointer.push_str(&first.replace('~', "~0").replace('/', "~1"));
                }
            }
            Violation {
                line: line_of(text, &pointer),
                pointer,
                message: e.to_string(),
            }
        })
        .collect();
    out.sort_by_key(|v| v.line.unwrap_or(usize::MAX));
    out.dedup();
    Ok(out)
}

/// The 1-based line where the value (or, for an object member, the key) at `pointer` starts.
/// serde_json keeps no positions, so this walks the text itself, skipping what it does not need.
pub fn line_of(text: &str, pointer: &str) -> Option<usize> {
    let segments: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let bytes = text.as_bytes();
    let at = locate(bytes, 0, &segments)?;
    Some(bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The offset just past the string starting at `i` (which is `"`).
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The offset just past the value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_ws(b, i);
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            Some(j)
        }
    }
}

fn locate(b: &[u8], i: usize, path: &[String]) -> Option<usize> {
    let i = skip_ws(b, i);
    let Some((first, rest)) = path.split_first() else {
        return Some(i);
    };
    match *b.get(i)? {
        b'{' => {
            let mut j = skip_ws(b, i + 1);
            while b.get(j) == Some(&b'"') {
                let key_start = j;
                let key_end = skip_string(b, j)?;
                let key: String = serde_json::from_slice(&b[key_start..key_end]).ok()?;
                let colon = skip_ws(b, key_end);
                if key == *first {
                    return if rest.is_empty() {
                        Some(key_start)
                    } else {
                        locate(b, colon + 1, rest)
                    };
                }
                j = skip_ws(b, skip_value(b, colon + 1)?);
                if b.get(j) == Some(&b',') {
                    j = skip_ws(b, j + 1);
                }
            }
            None
        }
        b'[' => {
            let index: usize = first.parse().ok()?;
            let mut j = i + 1;
            for _ in 0..index {
                j = skip_ws(b, skip_value(b, j)?);
                if b.get(j) != Some(&b',') {
                    return None;
                }
                j += 1;
            }
            locate(b, j, rest)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_finds_its_line() {
        let text =
            "{\n  \"a\": [\n    1,\n    {\"b\": \"x\\\"}\",\n     \"c\": 2}\n  ],\n  \"d/e\": 3\n}";
        assert_eq!(line_of(text, ""), Some(1));
        assert_eq!(line_of(text, "/a"), Some(2));
        assert_eq!(line_of(text, "/a/0"), Some(3));
        assert_eq!(line_of(text, "/a/1/b"), Some(4));
        assert_eq!(line_of(text, "/a/1/c"), Some(5));
        assert_eq!(line_of(text, "/d~1e"), Some(7));
        assert_eq!(line_of(text, "/a/2"), None);
        assert_eq!(line_of(text, "/zz"), None);
    }

    #[test]
    fn every_schema_is_a_valid_draft_2020_12_schema() {
        for s in ALL {
            let v = s.value();
            assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
            jsonschema::meta::validate(&v).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        }
    }
}
