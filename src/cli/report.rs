//! `ccemu report --url URL --out DIR`: fetches a running emulator's contract report and writes
//! `contract-report.json`, `contract-report.md` and `contract-junit.xml`; with
//! `--fail-on-findings` or `--min-coverage` it is also the gate a CI step exits on.

use super::fetch;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The running emulator, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub url: String,
    /// The directory to write the three files into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Exit 3 when strict mode recorded any finding (document quirks excepted).
    #[arg(long)]
    pub fail_on_findings: bool,
    /// Exit 3 when fewer than this share (0..=1) of the operations were called.
    #[arg(long, value_name = "SHARE")]
    pub min_coverage: Option<f64>,
}

/// What the run wrote and, when a gate failed, why.
pub struct Outcome {
    pub summary: String,
    pub failed: Vec<String>,
}

pub fn run(args: &ReportArgs) -> Result<Outcome, String> {
    let get = |format: &str| -> Result<String, String> {
        let path = match format {
            "json" => "/_ccemu/contract/report".to_string(),
            f => format!("/_ccemu/contract/report?format={f}"),
        };
        match fetch::request(&args.url, "GET", &path, &[], b"")? {
            (200, body) => Ok(body),
            (status, body) => Err(format!("GET {path} answered {status}: {body}")),
        }
    };
    let json = get("json")?;
    let report: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("the report is not JSON: {e}"))?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    for (name, text) in [
        ("contract-report.json", json),
        ("contract-report.md", get("markdown")?),
        ("contract-junit.xml", get("junit")?),
    ] {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let s = &report["summary"];
    let coverage = s["operation_coverage"].as_f64().unwrap_or(0.0);
    let findings = s["findings"].as_u64().unwrap_or(0);
    let summary = format!(
        "operations called {}/{} ({:.0}%), documented error codes reached {}/{}, findings {} (quirks {}); written to {}\n",
        s["operations_covered"],
        s["operations"],
        coverage * 100.0,
        s["error_codes_covered"],
        s["error_codes"],
        findings,
        s["quirks"],
        args.out.display()
    );
    let mut failed = Vec::new();
    if args.fail_on_findings && findings > 0 {
        failed.push(format!("{findings} strict finding(s)"));
    }
    if let Some(min) = args.min_coverage {
        if coverage < min {
            failed.push(format!("operation coverage {coverage:.3} is below {min}"));
        }
    }
    Ok(Outcome { summary, failed })
}
