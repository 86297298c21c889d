//! HTTPS beside plain HTTP (`--tls`): a local CA kept in the data directory, a leaf certificate
//! for loopback and every vendor hostname ccemu knows, and the rustls server configuration.
//!
//! Why a CA and not one self-signed leaf: a client trusts the CA once (curl `--cacert`,
//! `SSL_CERT_FILE`, a Java truststore) and keeps trusting it when a later run issues a leaf with
//! more names (`--tls-host`). The CA is made on first use and reused; the leaf is made afresh at
//! every start, so it always names exactly the hosts this run was asked for.
//!
//! Only the ring provider is used: no aws-lc, no OpenSSL, nothing to build beyond Rust and C
//! that ring already needs for the webhook client.

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The vendors' own API hostnames, as their documents and SDKs spell them. A client that keeps
/// its production URL and sends the name to ccemu (hosts file, `curl --resolve`) gets a
/// certificate that matches. NXCloud's names also pick the NXLink region (see
/// `vendors::nxcloud::auth::region_of_host`); Udesk serves each company on its own subdomain,
/// so it gets a wildcard.
pub const VENDOR_HOSTS: &[&str] = &[
    // Udesk CCPaaS: https://<company>.udesk.cn/ccapi/v2/...
    "*.udesk.cn",
    // NXCloud NXCC and the NXLink regional gateways.
    "api2.nxcloud.com",
    "api-hk.nxlink.ai",
    "chl-api.nxlink.ai",
    "api-idn.nxlink.ai",
    // Huawei Cloud CEC API Fabric.
    "service.besclouds.com",
];

/// The names every generated leaf carries besides the vendors'.
const LOOPBACK_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// The CA's subject. It is also how a reused CA is rebuilt as an issuer from its key alone (no
/// certificate parser needed), so it must never change for an existing data directory.
const CA_COMMON_NAME: &str = "ccemu local CA";
const CA_ORGANIZATION: &str = "ccemu";

pub const CA_CERT_FILE: &str = "ca.pem";
pub const CA_KEY_FILE: &str = "ca-key.pem";

/// What `--tls` and its companion flags ask for.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// `--tls-port`; `None` is the plain port + 1 (or a free port when the plain one is 0).
    pub port: Option<u16>,
    /// Where the local CA lives (`--data-dir`).
    pub data_dir: PathBuf,
    /// Extra names for the leaf (`--tls-host`, repeatable).
    pub hosts: Vec<String>,
    /// `--tls-cert`/`--tls-key`: serve this chain and key instead of a generated leaf.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl TlsConfig {
    /// The HTTPS port for a plain listener on `plain`: the flag, else the next port, else (plain
    /// port 0, or 65535) a free one.
    pub fn port_for(&self, plain: u16) -> u16 {
        match self.port {
            Some(p) => p,
            None if plain == 0 => 0,
            None => plain.checked_add(1).unwrap_or(0),
        }
    }
}

/// The default data directory: `$XDG_DATA_HOME/ccemu`, else `~/.local/share/ccemu`, else
/// `.ccemu` in the working directory (a CI container without HOME).
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("ccemu");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/ccemu");
    }
    PathBuf::from(".ccemu")
}

/// Where HTTPS is served and what a client must trust.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    pub addr: std::net::SocketAddr,
    /// The local CA's certificate; `None` when the user brought their own (`--tls-cert`).
    pub ca_file: Option<std::path::PathBuf>,
    /// This start made the CA (first use of the data directory).
    pub ca_created: bool,
    /// The names the leaf certificate carries.
    pub names: Vec<String>,
}

/// Prepares the certificate and binds the HTTPS listener next to a plain one on `plain_port`.
pub async fn listen(
    cfg: &TlsConfig,
    bind: std::net::IpAddr,
    plain_port: u16,
) -> Result<
    (
        TlsInfo,
        (tokio::net::TcpListener, tokio_rustls::TlsAcceptor),
    ),
    String,
> {
    let prepared = prepare(cfg)?;
    let port = cfg.port_for(plain_port);
    let listener = tokio::net::TcpListener::bind((bind, port))
        .await
        .map_err(|e| format!("cannot listen for HTTPS on {bind}:{port}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen for HTTPS: {e}"))?;
    let info = TlsInfo {
        addr,
        ca_file: prepared.ca_file,
        ca_created: prepared.ca_created,
        names: prepared.names,
    };
    Ok((
        info,
        (listener, tokio_rustls::TlsAcceptor::from(prepared.server)),
    ))
}

/// The ready server side of `--tls` and what to tell the user about it.
pub struct Prepared {
    pub server: Arc<ServerConfig>,
    /// The CA certificate a client should trust; `None` with `--tls-cert` (the user's own).
    pub ca_file: Option<PathBuf>,
    /// The CA was made by this run (first use of the data directory).
    pub ca_created: bool,
    /// The names the generated leaf carries (empty with `--tls-cert`).
    pub names: Vec<String>,
}

/// Builds the server configuration: the user's chain and key, or a leaf from the local CA (made
/// on first use).
pub fn prepare(cfg: &TlsConfig) -> Result<Prepared, String> {
    match (&cfg.cert, &cfg.key) {
        (Some(cert), Some(key)) => Ok(Prepared {
            server: server_config(load_chain(cert)?, load_key(key)?)?,
            ca_file: None,
            ca_created: false,
            names: Vec::new(),
        }),
        (Some(_), None) | (None, Some(_)) => {
            Err("--tls-cert and --tls-key go together: give both or neither".to_string())
        }
        (None, None) => {
            let (issuer, ca_created) = local_ca(&cfg.data_dir)?;
            let names = leaf_names(&cfg.hosts);
            let (chain, key) = issue_leaf(&issuer, &names)?;
            Ok(Prepared {
                server: server_config(chain, key)?,
                ca_file: Some(cfg.data_dir.join(CA_CERT_FILE)),
                ca_created,
                names,
            })
        }
    }
}

/// Loopback, the vendors' hosts and the user's, each once, in that order.
pub fn leaf_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let all = LOOPBACK_NAMES
        .iter()
        .chain(VENDOR_HOSTS)
        .map(|s| s.to_string())
        .chain(extra.iter().map(|h| h.trim().to_ascii_lowercase()));
    for name in all {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn ca_params() -> Result<CertificateParams, String> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    dn.push(DnType::OrganizationName, CA_ORGANIZATION);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// The CA in `dir`, made there when absent. A half-written pair (one file without the other)
/// is an error rather than silently replaced: clients may already trust that certificate.
fn local_ca(dir: &Path) -> Result<(Issuer<'static, KeyPair>, bool), String> {
    let cert_path = dir.join(CA_CERT_FILE);
    let key_path = dir.join(CA_KEY_FILE);
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            let pem = std::fs::read_to_string(&key_path)
                .map_err(|e| format!("cannot read {}: {e}", key_path.display()))?;
            let key = KeyPair::from_pem(&pem)
                .map_err(|e| format!("{} is not a usable key: {e}", key_path.display()))?;
            Ok((Issuer::new(ca_params()?, key), false))
        }
        (false, false) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
            let key = KeyPair::generate().map_err(tls_err)?;
            let mut params = ca_params()?;
            let (y, m, d) = today();
            params.not_before = date_time_ymd(y - 1, m, d.min(28));
            params.not_after = date_time_ymd(y + 20, m, d.min(28));
            let cert = params.self_signed(&key).map_err(tls_err)?;
            write_private(&key_path, key.serialize_pem().as_bytes())?;
            std::fs::write(&cert_path, cert.pem())
                .map_err(|e| format!("cannot write {}: {e}", cert_path.display()))?;
            Ok((Issuer::new(params, key), true))
        }
        _ => Err(format!(
            "{} holds only one of {CA_CERT_FILE} and {CA_KEY_FILE}; remove it to make a new CA (clients must then trust the new one)",
            dir.display()
        )),
    }
}

/// A leaf for `names` signed by the CA; the chain is the leaf alone (clients hold the CA).
fn issue_leaf(
    issuer: &Issuer<'static, KeyPair>,
    names: &[String],
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let key = KeyPair::generate().map_err(tls_err)?;
    let mut params = CertificateParams::new(names.to_vec()).map_err(tls_err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "ccemu localhost");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Regenerated at every start, so a short life costs nothing; under 398 days so that clients
    // with the browsers' rules (Apple's TLS stack) accept it too.
    let (y, m, d) = today();
    params.not_before = date_time_ymd(y - 1, m, d.min(28));
    params.not_after =
        date_time_ymd(y, m, d.min(28)) + std::time::Duration::from_secs(300 * 86_400);
    let cert = params.signed_by(&key, issuer).map_err(tls_err)?;
    Ok((
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    ))
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, String> {
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(tls_err)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("the TLS certificate and key do not fit together: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn load_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read --tls-cert {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--tls-cert {} is not PEM certificates: {e}", path.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {} holds no certificate",
            path.display()
        ));
    }
    Ok(chain)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("--tls-key {}: no usable private key: {e}", path.display()))
}

/// Writes the CA key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Today's date (UTC) from the system clock. Certificates are for real clients, which check
/// validity against real time, so this is the one place the virtual clock does not apply.
fn today() -> (i32, u8, u8) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_from_days((secs / 86_400) as i64)
}

/// Howard Hinnant's days-to-civil conversion.
fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

fn tls_err(e: impl std::fmt::Display) -> String {
    format!("TLS setup failed: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
    }

    #[test]
    fn leaf_names_are_unique_and_include_vendors() {
        let names = leaf_names(&["API2.nxcloud.com".into(), "my.test".into()]);
        assert_eq!(&names[..3], &["localhost", "127.0.0.1", "::1"]);
        assert!(names.contains(&"service.besclouds.com".to_string()));
        assert_eq!(names.iter().filter(|n| *n == "api2.nxcloud.com").count(), 1);
        assert_eq!(names.last().map(String::as_str), Some("my.test"));
    }

    #[test]
    fn default_port_is_next_to_the_plain_one() {
        let cfg = TlsConfig::default();
        assert_eq!(cfg.port_for(8080), 8081);
        assert_eq!(cfg.port_for(0), 0);
        assert_eq!(cfg.port_for(65535), 0);
        let cfg = TlsConfig {
            port: Some(9443),
            ..TlsConfig::default()
        };
        assert_eq!(cfg.port_for(8080), 9443);
    }
}
