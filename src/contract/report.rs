//! Coverage and findings, counted per vendor operation as requests are answered, and the
//! report a CI job gates on: `GET /_ccemu/contract/report` as JSON, `?format=markdown` or
//! `?format=junit` (one test case per operation and per documented error code).

use crate::model::Vendor;
use crate::routing::Described;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use crate::coverage::Contract;

impl Contract {
    /// The report as JSON.
    pub fn report(&self) -> Value {
        let stats = self.stats();
        let mut ops = Vec::new();
        let (mut covered, mut codes_total, mut codes_hit, mut findings, mut quirks) =
            (0, 0, 0, 0u64, 0u64);
        let mut seen: Vec<(Vendor, &'static str)> = Vec::new();
        for entry in crate::vendors::catalogue() {
            let d: &Described = &entry.route;
            if seen.contains(&(entry.vendor, d.operation)) {
                continue; // Huawei serves some operations under two spellings
            }
            seen.push((entry.vendor, d.operation));
            let s = stats.get(&(entry.vendor, d.operation));
            let calls = s.map_or(0, |s| s.calls);
            let codes: BTreeMap<String, u64> = s.map(|s| s.codes.clone()).unwrap_or_default();
            let documented: Vec<&str> = d
                .contract
                .errors
                .iter()
                .copied()
                .filter(|c| !is_success(entry.vendor, c))
                .collect();
            let reached: Vec<&str> = documented
                .iter()
                .copied()
                .filter(|c| codes.contains_key(*c))
                .collect();
            let never: Vec<&str> = documented
                .iter()
                .copied()
                .filter(|c| !codes.contains_key(*c))
                .collect();
            let undocumented: Vec<&String> = codes
                .keys()
                .filter(|c| !is_success(entry.vendor, c) && !documented.contains(&c.as_str()))
                .collect();
            let fs: Vec<Value> = s
                .map(|s| {
                    s.findings
                        .iter()
                        .map(|(f, n, ex)| {
                            let mut v = json!(f);
                            v["count"] = json!(n);
                            v["example"] = ex.clone();
                            v
                        })
                        .collect()
                })
                .unwrap_or_default();
            if let Some(s) = s {
                for (f, n, _) in &s.findings {
                    if f.quirk {
                        quirks += n;
                    } else {
                        findings += n;
                    }
                }
            }
            covered += usize::from(calls > 0);
            codes_total += documented.len();
            codes_hit += reached.len();
            ops.push(json!({
                "vendor": entry.vendor,
                "operation": d.operation,
                "method": d.method,
                "path": d.path,
                "calls": calls,
                "codes": codes,
                "documented_errors": documented,
                "errors_reached": reached,
                "errors_never_reached": never,
                "undocumented_codes": undocumented,
                "findings": fs,
            }));
        }
        let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        json!({
            "strict": {"on": self.strict(), "refuse": self.refuse()},
            "summary": {
                "operations": ops.len(),
                "operations_covered": covered,
                "operation_coverage": ratio(covered, ops.len()),
                "error_codes": codes_total,
                "error_codes_covered": codes_hit,
                "error_code_coverage": ratio(codes_hit, codes_total),
                "findings": findings,
                "quirks": quirks,
            },
            "operations": ops,
        })
    }
}

fn is_success(vendor: Vendor, code: &str) -> bool {
    match vendor {
        Vendor::Udesk => code == "000000",
        Vendor::Nxcloud => code == "0",
        Vendor::Huawei => code.starts_with('2'),
    }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The report as a Markdown page.
pub fn markdown(report: &Value) -> String {
    let s = &report["summary"];
    let mut out = String::from("# ccemu contract report\n\n");
    let _ = writeln!(
        out,
        "- operations called: {} of {} ({:.0}%)\n- documented error codes reached: {} of {} ({:.0}%)\n- strict findings: {} (document quirks: {})\n",
        s["operations_covered"],
        s["operations"],
        s["operation_coverage"].as_f64().unwrap_or(0.0) * 100.0,
        s["error_codes_covered"],
        s["error_codes"],
        s["error_code_coverage"].as_f64().unwrap_or(0.0) * 100.0,
        s["findings"],
        s["quirks"],
    );
    out.push_str("| vendor | operation | calls | codes reached | documented errors never reached | findings |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    let empty = Vec::new();
    let ops = report["operations"].as_array().unwrap_or(&empty);
    for op in ops {
        let codes: Vec<String> = op["codes"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k}×{v}")).collect())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} |",
            op["vendor"].as_str().unwrap_or(""),
            op["operation"].as_str().unwrap_or(""),
            op["calls"],
            codes.join(", "),
            strs(&op["errors_never_reached"]).join(", "),
            op["findings"].as_array().map_or(0, Vec::len),
        );
    }
    let mut any = false;
    for op in ops {
        for f in op["findings"].as_array().unwrap_or(&empty) {
            if !any {
                out.push_str("\n## Findings\n\n");
                any = true;
            }
            let _ = writeln!(
                out,
                "- {} `{}`: {}{} `{}` — {} (×{}); example: `{}`",
                op["vendor"].as_str().unwrap_or(""),
                op["operation"].as_str().unwrap_or(""),
                if f["quirk"] == true {
                    "document quirk, "
                } else {
                    ""
                },
                f["kind"].as_str().unwrap_or(""),
                f["field"].as_str().unwrap_or(""),
                f["detail"].as_str().unwrap_or(""),
                f["count"],
                f["example"],
            );
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// The report as JUnit XML: one suite per vendor, one test case per operation (failed when it
/// has strict findings other than quirks, skipped when never called) and one per documented
/// error code (skipped when never reached).
pub fn junit(report: &Value) -> String {
    let empty = Vec::new();
    let ops = report["operations"].as_array().unwrap_or(&empty);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ccemu contract\">\n",
    );
    for vendor in ["udesk", "nxcloud", "huawei"] {
        let mut cases = String::new();
        let (mut tests, mut failures, mut skipped) = (0, 0, 0);
        for op in ops.iter().filter(|o| o["vendor"] == vendor) {
            let name = op["operation"].as_str().unwrap_or("");
            let class = format!("{vendor}.{}", name.replace('/', "."));
            tests += 1;
            let bad: Vec<&Value> = op["findings"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .filter(|f| f["quirk"] != true)
                .collect();
            let _ = write!(
                cases,
                "    <testcase classname=\"{}\" name=\"{} called\">",
                xml_escape(&class),
                xml_escape(name)
            );
            if op["calls"] == 0 {
                skipped += 1;
                cases.push_str("<skipped message=\"never called\"/>");
            } else if !bad.is_empty() {
                failures += 1;
                let text: Vec<String> = bad
                    .iter()
                    .map(|f| {
                        format!(
                            "{} {}: {} (x{}) e.g. {}",
                            f["kind"].as_str().unwrap_or(""),
                            f["field"].as_str().unwrap_or(""),
                            f["detail"].as_str().unwrap_or(""),
                            f["count"],
                            f["example"]
                        )
                    })
                    .collect();
                let _ = write!(
                    cases,
                    "<failure message=\"{} strict finding(s)\" type=\"strict\">{}</failure>",
                    bad.len(),
                    xml_escape(&text.join("\n"))
                );
            }
            cases.push_str("</testcase>\n");
            let reached = strs(&op["errors_reached"]);
            for code in strs(&op["documented_errors"]) {
                tests += 1;
                let _ = write!(
                    cases,
                    "    <testcase classname=\"{}\" name=\"{} answers {}\">",
                    xml_escape(&class),
                    xml_escape(name),
                    xml_escape(&code)
                );
                if !reached.contains(&code) {
                    skipped += 1;
                    cases.push_str("<skipped message=\"documented error never reached\"/>");
                }
                cases.push_str("</testcase>\n");
            }
        }
        let _ = write!(
            out,
            "  <testsuite name=\"{vendor}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{cases}  </testsuite>\n"
        );
    }
    out.push_str("</testsuites>\n");
    out
}
