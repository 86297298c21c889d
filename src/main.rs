//! `ccemu`: flags → Config → serve; or one of the helper subcommands (`sign`, `routes`).
//!
//! `ccemu` with no subcommand is `ccemu serve`, so `cargo run --release` and every flag the
//! binary has always taken keep working unchanged.

use ccemu::cli::sign::SignArgs;
use ccemu::model::Credentials;
use ccemu::persist::Start;
use ccemu::{Config, Ctx};
use clap::{Args, Parser, Subcommand};
use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// A local emulator of the Udesk CCPaaS, NXCloud NXCC/NXLink and Huawei Cloud CEC APIs.
#[derive(Parser, Debug)]
#[command(name = "ccemu", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no subcommand, the flags are `serve`'s.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the emulator (what `ccemu` with no subcommand does).
    Serve(ServeArgs),
    /// Print a vendor call signed as the emulator checks it, as a curl line.
    Sign(SignArgs),
    /// List every route: vendor, method, path, operation name, source document.
    Routes {
        /// Print JSON (the same as GET /_ccemu/routes).
        #[arg(long)]
        json: bool,
    },
    /// Forward every vendor request to the real vendor and report where ccemu's own answer
    /// differs in shape (GET /_ccemu/drift); docs/contract.md.
    Proxy {
        /// The vendor's base URL, e.g. https://service.besclouds.com.
        #[arg(long)]
        upstream: String,
        /// Forward this vendor only (udesk, nxcloud or huawei).
        #[arg(long)]
        vendor: Option<String>,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Write a running emulator's contract report (JSON, Markdown, JUnit) into a directory.
    Report(ccemu::cli::report::ReportArgs),
    /// Read a live Udesk app, NXCloud team or Huawei CEC tenant space through its read APIs and
    /// write a fixture of it (secrets masked unless --show-secrets); docs/fixtures.md.
    Import(ccemu::cli::import::ImportArgs),
    /// Validate fixture and scenario files offline against their JSON Schemas (schemas/) and
    /// ccemu's own load checks; prints each error with its line and JSON Pointer, exit 1 on any.
    Check {
        /// The files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Check every file as this kind (fixture, scenario) instead of reading its `$schema`
        /// or guessing from its keys.
        #[arg(long)]
        kind: Option<String>,
    },
}

/// Every flag of the server, in one place.
#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on; 0 picks a free port and prints it.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// A fixture file (JSON) to load instead of the embedded default.
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Seed for every random value (passwords, ids, probabilistic faults).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Serve the /_ccemu admin API to non-loopback clients too.
    #[arg(long)]
    admin_public: bool,
    /// Require `Authorization: Bearer TOKEN` on every admin request but GET /_ccemu/health
    /// (protects an --admin-public API).
    #[arg(long, value_name = "TOKEN")]
    admin_token: Option<String>,
    /// A scenario file (JSON) to load at start; repeatable, loaded in order.
    #[arg(long = "scenario", value_name = "FILE")]
    scenarios: Vec<PathBuf>,
    /// Connections served at once; past it a new connection is answered 503 (Retry-After: 1) and
    /// closed.
    #[arg(long, default_value_t = ccemu::emulator::DEFAULT_MAX_CONNECTIONS, value_parser = at_least_one)]
    max_connections: usize,
    /// Keep the state (model, tokens, clock, scenarios, faults) in this file across restarts:
    /// restored at start when it exists, written periodically and at a clean shutdown.
    #[arg(long, value_name = "PATH")]
    state_file: Option<PathBuf>,
    /// How often --state-file is written while running, in milliseconds; 0 writes it at
    /// shutdown only.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    state_interval_ms: u64,
    /// Print every tenant's secrets in the banner. Without it, secrets of your own fixture are
    /// shown as ******** (the embedded demo credentials always print).
    #[arg(long)]
    show_secrets: bool,
    /// How many requests the journal keeps (GET /_ccemu/requests); 0 disables it.
    #[arg(long, default_value_t = 1000)]
    journal_size: usize,
    /// Items the live stream (/_ccemu/stream) keeps for readers resuming with Last-Event-ID and
    /// readers that fell behind.
    #[arg(long, default_value_t = ccemu::hub::DEFAULT_CAPACITY, value_parser = at_least_one)]
    stream_buffer: usize,
    /// Once listening, write the bound URL (`http://127.0.0.1:PORT`) and a newline to this file
    /// (atomically: it appears complete or not at all), for scripts that start ccemu on port 0.
    #[arg(long, value_name = "PATH")]
    ready_file: Option<PathBuf>,
    /// Events one webhook target may hold waiting; more are dropped and logged as dropped.
    #[arg(long, default_value_t = 16_384)]
    webhook_backlog: usize,
    /// Delivery attempts the webhook log keeps (GET /_ccemu/webhooks/deliveries).
    #[arg(long, default_value_t = 20_000)]
    webhook_log_size: usize,
    /// Real milliseconds one delivery attempt may take before it counts as failed.
    #[arg(long, default_value_t = 5_000)]
    webhook_timeout_ms: u64,
    /// Virtual milliseconds before each retry of a failed delivery, comma-separated; "" = none.
    #[arg(long, default_value = "1000,5000,30000")]
    webhook_retries: String,
    /// An extra CA certificate (PEM) trusted for https callbacks, e.g. a receiver's self-signed one.
    #[arg(long, value_name = "PEM")]
    webhook_ca: Option<PathBuf>,
    /// Strict mode: record per request the contract findings the real vendor lets pass
    /// (docs/contract.md); POST /_ccemu/strict switches it at runtime.
    #[arg(long)]
    strict: bool,
    /// Serve HTTPS too (beside plain HTTP), with a certificate from a local CA kept in --data-dir.
    #[arg(long)]
    tls: bool,
    /// The HTTPS port; default the plain port + 1 (a free one when --port is 0).
    #[arg(long, value_name = "PORT")]
    tls_port: Option<u16>,
    /// An extra name (host or IP) for the HTTPS certificate; repeatable.
    #[arg(long = "tls-host", value_name = "NAME")]
    tls_hosts: Vec<String>,
    /// Serve this certificate chain (PEM) over HTTPS instead of one from the local CA.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) for --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Live sandboxes (POST /_ccemu/sandboxes) at most; one more is refused with 429.
    #[arg(long, default_value_t = ccemu::sandbox::DEFAULT_MAX_SANDBOXES)]
    max_sandboxes: usize,
    /// Delete a sandbox that no request or admin call has named for this many real
    /// milliseconds; 0 keeps sandboxes until deleted.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    sandbox_ttl_ms: u64,
    /// Where ccemu keeps files across runs (the local CA); default $XDG_DATA_HOME/ccemu or
    /// ~/.local/share/ccemu.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// `--webhook-retries`: virtual milliseconds, comma-separated.
fn parse_retries(s: &str) -> Result<Vec<i64>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.parse::<i64>() {
            Ok(ms) if ms >= 0 => Ok(ms),
            _ => Err(format!(
                "--webhook-retries: {p:?} is not a number of milliseconds"
            )),
        })
        .collect()
}

impl ServeArgs {
    fn config(&self) -> Result<Config, String> {
        Ok(Config {
            bind: self.bind,
            port: self.port,
            fixture: self.fixture.clone(),
            seed: self.seed,
            body_limit: self.body_limit,
            admin_public: self.admin_public,
            admin_token: self.admin_token.clone().filter(|t| !t.is_empty()),
            scenarios: self.scenarios.clone(),
            journal_size: self.journal_size,
            stream_buffer: self.stream_buffer,
            max_connections: self.max_connections,
            state_file: self.state_file.clone(),
            state_interval: std::time::Duration::from_millis(self.state_interval_ms),
            events: ccemu::events::EventsConfig {
                backlog: self.webhook_backlog.max(1),
                log_size: self.webhook_log_size,
                attempt_timeout: std::time::Duration::from_millis(self.webhook_timeout_ms.max(1)),
                backoff_ms: parse_retries(&self.webhook_retries)?,
                ca_file: self.webhook_ca.clone(),
            },
            strict: self.strict,
            tls: (self.tls || self.tls_cert.is_some()).then(|| ccemu::tls::TlsConfig {
                port: self.tls_port,
                data_dir: self
                    .data_dir
                    .clone()
                    .unwrap_or_else(ccemu::tls::default_data_dir),
                hosts: self.tls_hosts.clone(),
                cert: self.tls_cert.clone(),
                key: self.tls_key.clone(),
            }),
            max_sandboxes: self.max_sandboxes,
            sandbox_ttl: (self.sandbox_ttl_ms > 0)
                .then(|| std::time::Duration::from_millis(self.sandbox_ttl_ms)),
            ..Config::default()
        })
    }
}

/// mimalloc rather than glibc's malloc: see Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Routes { json }) => {
            let _ = std::io::stdout().write_all(ccemu::cli::routes(json).as_bytes());
        }
        Some(Command::Proxy {
            upstream,
            vendor,
            serve,
        }) => proxy(&upstream, vendor.as_deref(), serve),
        Some(Command::Import(args)) => match ccemu::cli::import::run(&args) {
            Ok(fixture) => {
                let text = serde_json::to_string_pretty(&fixture).unwrap_or_default() + "\n";
                match &args.out {
                    Some(path) => {
                        if let Err(e) = std::fs::write(path, text) {
                            eprintln!("ccemu import: cannot write {}: {e}", path.display());
                            std::process::exit(1);
                        }
                    }
                    None => {
                        let _ = std::io::stdout().write_all(text.as_bytes());
                    }
                }
            }
            Err(e) => {
                eprintln!("ccemu import: {e}");
                std::process::exit(1);
            }
        },
        Some(Command::Check { files, kind }) => {
            if let Some(k) = kind.as_deref() {
                if ccemu::contract::schemas::by_name(k).is_none() {
                    eprintln!("ccemu check: --kind {k}: expected fixture, scenario or ivr-flow");
                    std::process::exit(2);
                }
            }
            let outcome = ccemu::cli::check::check_files(&files, kind.as_deref());
            let _ = std::io::stdout().write_all(outcome.report.as_bytes());
            if !outcome.ok {
                std::process::exit(1);
            }
        }
        Some(Command::Report(args)) => match ccemu::cli::report::run(&args) {
            Ok(outcome) => {
                let _ = std::io::stdout().write_all(outcome.summary.as_bytes());
                if !outcome.failed.is_empty() {
                    eprintln!("ccemu report: gate failed: {}", outcome.failed.join("; "));
                    std::process::exit(3);
                }
            }
            Err(e) => {
                eprintln!("ccemu report: {e}");
                std::process::exit(1);
            }
        },
        Some(Command::Sign(args)) => match ccemu::cli::sign::run(&args) {
            Ok(signed) => {
                let _ = std::io::stderr().write_all(signed.stderr.as_bytes());
                let _ = std::io::stdout().write_all(signed.stdout.as_bytes());
            }
            Err(e) => {
                eprintln!("ccemu sign: {e}");
                std::process::exit(1);
            }
        },
    }
}

/// Writes `url` to `path` through a temporary file and a rename, so a script polling for the
/// file never reads half of it.
fn write_ready_file(path: &Path, url: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, format!("{url}\n"))?;
    std::fs::rename(&tmp, path)
}

fn serve(args: ServeArgs) {
    let show_secrets = args.show_secrets;
    let config = match args.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ccemu: {e}");
            std::process::exit(2);
        }
    };
    let fixture = match config.load_fixture() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("ccemu: {e}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ccemu: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind((config.bind, config.port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "ccemu: cannot listen on {}:{}: {e}",
                    config.bind, config.port
                );
                std::process::exit(1);
            }
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let (tls, tls_listener) = match &config.tls {
            None => (None, None),
            Some(tls_config) => {
                match ccemu::tls::listen(tls_config, config.bind, config.port).await {
                    Ok((info, l)) => (Some(info), Some(l)),
                    Err(e) => {
                        eprintln!("ccemu: {e}");
                        std::process::exit(1);
                    }
                }
            }
        };
        let ctx = Ctx::new(config, fixture);
        let start = match ccemu::persist::restore_or_load(&ctx) {
            Ok(start) => start,
            Err(e) => {
                eprintln!("ccemu: {e}");
                std::process::exit(2);
            }
        };
        // mimalloc returns a freed page to the OS on its thread's next allocations; the thread
        // that parsed a large fixture then waits on the listener, and the parse's garbage
        // (three times the model at 100,000 agents) would stay resident. Collected once, now.
        // SAFETY: `mi_collect` takes no pointers and may be called from any thread at any time.
        unsafe { libmimalloc_sys::mi_collect(true) };
        let shutdown = shutdown_signal(Some(ctx.clone()));
        print_banner(&ctx, &addr, tls.as_ref(), &start, show_secrets);
        // After the banner: a script that waits for the file finds the banner complete too.
        if let Some(path) = &args.ready_file {
            if let Err(e) = write_ready_file(path, &format!("http://{addr}")) {
                eprintln!("ccemu: cannot write --ready-file {}: {e}", path.display());
                std::process::exit(1);
            }
        }
        let served = ccemu::server::serve_with_tls(listener, tls_listener, ctx.clone(), shutdown);
        if let Err(e) = served.await {
            eprintln!("ccemu: {e}");
            std::process::exit(1);
        }
        if let Err(e) = ccemu::persist::save(&ctx) {
            eprintln!("ccemu: {e}");
        }
        // stdout may be a closed pipe by now; a farewell is not worth a panic.
        let _ = writeln!(std::io::stdout(), "ccemu: stopped");
        // Leaving the runtime would wait for any blocking work still running (a catch-up of the
        // virtual clock, say); the state is written, so nothing is left to wait for.
        let _ = std::io::stdout().flush();
        std::process::exit(0);
    });
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{s:?} is not a whole number of at least 1")),
    }
}

/// Written in one go, errors ignored: whoever reads stdout may go away (`| head`), and that must
/// not bring the emulator down.
fn print_banner(
    ctx: &Ctx,
    addr: &str,
    tls: Option<&ccemu::TlsInfo>,
    start: &Start,
    show_secrets: bool,
) {
    // The demo credentials are the documented contract and print as they are; any other secret
    // is a user's own and stays off stdout (CI logs keep it) unless asked for.
    let demo = demo_secrets();
    let mut hidden = false;
    let mut secret = |value: &str| -> String {
        if show_secrets || demo.contains(value) {
            value.to_string()
        } else {
            hidden = true;
            "********".to_string()
        }
    };
    let mut out =
        format!("ccemu listening on http://{addr}\n  admin: http://{addr}/_ccemu/health\n");
    if let Some(tls) = tls {
        out.push_str(&tls_banner(tls));
    }
    match start {
        Start::Restored(path) => {
            out.push_str(&format!("  state restored from {}\n", path.display()));
        }
        Start::Loaded(loaded) => {
            for s in loaded {
                out.push_str(&format!(
                    "  scenario {}: {} rule(s), {} event(s)\n",
                    s.name,
                    s.rules.len(),
                    s.events
                ));
            }
        }
    }
    let model = ctx.model().clone();
    for t in model.tenants.values() {
        match &t.credentials {
            Credentials::Udesk {
                app_id,
                sid,
                auth_token,
            } => out.push_str(&format!(
                "  udesk   tenant {}: AppId={app_id} Sid={sid} AuthToken={}\n",
                t.id,
                secret(auth_token)
            )),
            Credentials::Nxcloud {
                access_key,
                access_secret,
                ..
            } => out.push_str(&format!(
                "  nxcloud tenant {}: accessKey={access_key} accessSecret={}\n",
                t.id,
                secret(access_secret)
            )),
            Credentials::Huawei { apps, .. } => {
                for app in apps {
                    out.push_str(&format!(
                        "  huawei  tenant {}: app_key={} app_secret={}\n",
                        t.id,
                        app.app_key,
                        secret(&app.app_secret)
                    ));
                }
            }
        }
    }
    if hidden {
        out.push_str("  secrets of your fixture are hidden; --show-secrets prints them\n");
    }
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// The HTTPS lines of the banner: where, and what a client must trust.
fn tls_banner(tls: &ccemu::TlsInfo) -> String {
    let mut out = format!(
        "ccemu listening on https://localhost:{} ({})\n",
        tls.addr.port(),
        tls.addr
    );
    match &tls.ca_file {
        Some(ca) => {
            let made = if tls.ca_created { "created" } else { "reused" };
            out.push_str(&format!(
                "  CA ({made}): {}   trust it: curl --cacert {}\n  certificate names: {}\n",
                ca.display(),
                ca.display(),
                tls.names.join(", ")
            ));
        }
        None => out.push_str("  certificate: --tls-cert (your own)\n"),
    }
    out
}

/// The secrets of the embedded default fixture: public demo values, safe to print anywhere.
fn demo_secrets() -> BTreeSet<String> {
    let Ok(model) = ccemu::model::fixture::parse(ccemu::model::fixture::DEFAULT_FIXTURE) else {
        return BTreeSet::new();
    };
    let mut secrets = BTreeSet::new();
    for t in model.tenants.values() {
        match &t.credentials {
            Credentials::Udesk { auth_token, .. } => {
                secrets.insert(auth_token.clone());
            }
            Credentials::Nxcloud { access_secret, .. } => {
                secrets.insert(access_secret.clone());
            }
            Credentials::Huawei { apps, .. } => {
                secrets.extend(apps.iter().map(|a| a.app_secret.clone()));
            }
        }
    }
    secrets
}

/// How long a stop may take after the first SIGTERM or Ctrl-C before ccemu writes its state file
/// (when one is set) and exits anyway: open requests get 3 s to finish, and a
/// catch-up of a long virtual stretch is cut short, but nothing may keep the process alive.
const STOP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// Resolves on the first Ctrl-C or SIGTERM; a second one ends the process at once (exit 130).
///
/// The signals are watched by a thread of their own, not by the runtime: a runtime whose workers
/// are all busy (a long catch-up of the virtual clock, say) would never hear them. The handlers
/// are installed when this is called, not when the future is first polled: called before the
/// banner is printed, a signal sent as soon as a script reads the banner stops ccemu gracefully
/// instead of killing it. A stop that misses its deadline still writes `state`'s state file.
fn shutdown_signal(state: Option<Ctx>) -> impl std::future::Future<Output = ()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            Ok(mut signals) => {
                let spawned = std::thread::Builder::new()
                    .name("ccemu-signals".into())
                    .spawn(move || {
                        let mut seen = signals.forever();
                        if seen.next().is_none() {
                            return;
                        }
                        let _ = tx.send(());
                        std::thread::spawn(move || {
                            std::thread::sleep(STOP_DEADLINE);
                            if let Some(ctx) = &state {
                                if let Err(e) = ccemu::persist::save(ctx) {
                                    eprintln!("ccemu: {e}");
                                }
                            }
                            eprintln!("ccemu: stop took too long; exiting");
                            std::process::exit(1);
                        });
                        if seen.next().is_some() {
                            eprintln!("ccemu: second signal; exiting at once");
                            std::process::exit(130);
                        }
                    });
                if let Err(e) = spawned {
                    eprintln!("ccemu: cannot watch signals: {e}");
                }
            }
            Err(e) => eprintln!("ccemu: cannot watch signals: {e}"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = state;
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = tx.send(());
        });
    }
    async move {
        // A dropped sender (no watcher could be installed) means no signal will ever come.
        if rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// `ccemu proxy`: the scratch emulator behind a forwarding front (`contract::drift`).
fn proxy(upstream: &str, vendor: Option<&str>, args: ServeArgs) {
    let fail = |code: i32, e: String| -> ! {
        eprintln!("ccemu proxy: {e}");
        std::process::exit(code)
    };
    let only = match vendor {
        None => None,
        Some("udesk") => Some(ccemu::model::Vendor::Udesk),
        Some("nxcloud") => Some(ccemu::model::Vendor::Nxcloud),
        Some("huawei") => Some(ccemu::model::Vendor::Huawei),
        Some(other) => fail(2, format!("--vendor {other}: use udesk, nxcloud or huawei")),
    };
    if !(upstream.starts_with("http://") || upstream.starts_with("https://")) {
        fail(
            2,
            format!("--upstream must be an http(s) URL, not {upstream:?}"),
        );
    }
    let config = args.config().unwrap_or_else(|e| fail(2, e));
    let fixture = config.load_fixture().unwrap_or_else(|e| fail(2, e));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(1, e.to_string()));
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind((config.bind, config.port))
            .await
            .unwrap_or_else(|e| fail(1, format!("cannot listen: {e}")));
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let ctx = Ctx::new(config, fixture);
        let proxy = ccemu::contract::drift::Proxy::new(ctx, upstream, only)
            .unwrap_or_else(|e| fail(1, e));
        // The upstream URL only: credentials pass through and are never printed.
        let _ = writeln!(
            std::io::stdout(),
            "ccemu proxy listening on http://{addr}, forwarding to {upstream}; differences: http://{addr}/_ccemu/drift"
        );
        if let Some(path) = &args.ready_file {
            if let Err(e) = write_ready_file(path, &format!("http://{addr}")) {
                fail(1, format!("cannot write --ready-file {}: {e}", path.display()));
            }
        }
        ccemu::contract::drift::serve(listener, proxy, shutdown_signal(None)).await;
    });
}
