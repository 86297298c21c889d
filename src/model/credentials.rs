//! Which vendor a tenant belongs to, and the credentials it is reached with.

use super::*;

/// Which vendor a tenant's credentials belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Udesk,
    Nxcloud,
    Huawei,
}

impl Vendor {
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Udesk => "udesk",
            Vendor::Nxcloud => "nxcloud",
            Vendor::Huawei => "huawei",
        }
    }
}

/// A Huawei CEC app (one app key/secret pair) inside a tenant space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuaweiApp {
    pub app_key: String,
    pub app_secret: String,
}

/// The credentials a tenant is reached with; a tenant belongs to exactly one vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "vendor", rename_all = "lowercase")]
pub enum Credentials {
    Udesk {
        app_id: String,
        sid: String,
        auth_token: String,
    },
    Nxcloud {
        access_key: String,
        access_secret: String,
        /// NXLink regions whose gateways accept this key; empty = every host.
        #[serde(default)]
        regions: Vec<String>,
    },
    Huawei {
        apps: Vec<HuaweiApp>,
        /// Status for a wrong app_key/app_secret: 401 by default, 403 as some real gateways answer.
        #[serde(default = "default_bad_credentials_status")]
        bad_credentials_status: u16,
    },
}

fn default_bad_credentials_status() -> u16 {
    401
}

impl Credentials {
    pub fn vendor(&self) -> Vendor {
        match self {
            Credentials::Udesk { .. } => Vendor::Udesk,
            Credentials::Nxcloud { .. } => Vendor::Nxcloud,
            Credentials::Huawei { .. } => Vendor::Huawei,
        }
    }
}
