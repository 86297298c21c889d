//! ccemu: a local emulator of the Udesk CCPaaS, NXCloud NXCC/NXLink and Huawei Cloud CEC
//! call-center APIs on one port.
//!
//! Embed it in a test:
//!
//! ```no_run
//! let emu = ccemu::Emulator::start_background(ccemu::Config::ephemeral()).unwrap();
//! let base = emu.url(); // e.g. http://127.0.0.1:39157
//! emu.ctx().clock.set_frozen(true);
//! ```

pub mod admin;
pub mod calls;
pub mod cli;
pub mod clock;
pub mod conform;
pub mod contract;
pub mod coverage;
pub mod emulator;
pub mod events;
pub mod head_deadline;
pub mod hex;
pub mod http;
pub mod hub;
pub mod journal;
pub mod metrics;
pub mod model;
pub mod offload;
pub mod op;
pub mod persist;
pub mod read_cache;
pub mod routing;
pub mod sandbox;
pub mod scenarios;
pub mod server;
pub mod snapshot_store;
pub mod snapshots;
pub mod tls;
pub mod vendors;

pub use emulator::{Config, Ctx};
pub use tls::TlsInfo;

use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running emulator. Dropping it shuts the server down.
pub struct Emulator {
    ctx: Ctx,
    addr: SocketAddr,
    /// The HTTPS listener's address and the CA its leaf chains to, with `Config::tls`.
    tls: Option<TlsInfo>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Emulator {
    /// Binds and serves on the current tokio runtime.
    pub async fn start(config: Config) -> std::io::Result<Emulator> {
        let fixture = config
            .load_fixture()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        // A bad --webhook-ca is reported now, not as failed deliveries later.
        if let Some(ca) = &config.events.ca_file {
            events::client::build(Some(ca))
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        }
        let listener = TcpListener::bind((config.bind, config.port)).await?;
        let addr = listener.local_addr()?;
        let (tls, tls_listener) = match &config.tls {
            None => (None, None),
            Some(tls_config) => {
                let (info, listener) = tls::listen(tls_config, config.bind, config.port)
                    .await
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                (Some(info), Some(listener))
            }
        };
        let ctx = Ctx::new(config, fixture);
        persist::restore_or_load(&ctx)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(server::serve_with_tls(
            listener,
            tls_listener,
            ctx.clone(),
            async {
                let _ = rx.await;
            },
        ));
        Ok(Emulator {
            ctx,
            addr,
            tls,
            shutdown: Some(tx),
            thread: None,
        })
    }

    /// Starts on a runtime of its own in a background thread, for synchronous tests.
    pub fn start_background(config: Config) -> std::io::Result<Emulator> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ccemu".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    match Emulator::start(config).await {
                        Ok(mut emu) => {
                            let stop = emu.shutdown.take();
                            let (stop_tx, stop_rx) = oneshot::channel::<()>();
                            let _ = ready_tx.send(Ok((
                                emu.ctx.clone(),
                                emu.addr,
                                emu.tls.take(),
                                stop_tx,
                            )));
                            let _ = stop_rx.await;
                            if let Some(stop) = stop {
                                let _ = stop.send(());
                            }
                            // Give the accept loop a moment to close its listener.
                            tokio::task::yield_now().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (ctx, addr, tls, stop) = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("emulator thread died"))??;
        Ok(Emulator {
            ctx,
            addr,
            tls,
            shutdown: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ip:port`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The HTTPS side, when started with `Config::tls`.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// `https://localhost:port` (the leaf names localhost), when started with `Config::tls`.
    pub fn tls_url(&self) -> Option<String> {
        self.tls
            .as_ref()
            .map(|t| format!("https://localhost:{}", t.addr.port()))
    }

    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // A clean stop keeps the state, as the binary's does.
        if let Err(e) = persist::save(&self.ctx) {
            eprintln!("ccemu: {e}");
        }
    }
}
