//! The three vendor faces and the table that picks one by path prefix.
//!
//! Each vendor folder reads like its siblings (after moto): `routes.rs` is the routing table as
//! data, `auth.rs` the vendor's credential check, `errors.rs` its error enum and envelope, and one
//! file per group of documented endpoints.

use crate::emulator::Ctx;
use crate::events::{Events, Outbound};
use crate::http::{ApiRequest, Rejection, Reply};
use crate::model::{Model, ModelEvent, Tenant, Vendor};

pub mod huawei;
pub mod json;
pub mod nxcloud;
pub mod udesk;

/// The emulator as the vendors' faces serve it: model events are routed by the tenant's vendor.
impl Ctx {
    pub fn new(config: crate::emulator::Config, fixture: Model) -> Ctx {
        Ctx::with_router(config, fixture, route_events)
    }
}

/// Who hears each model event and in what body, by each tenant's vendor (`route_event`);
/// `Ctx`'s router.
pub fn route_events(model: &Model, events: &[ModelEvent], engine: &Events) -> Vec<Outbound> {
    let ids = || engine.next_event_id();
    events
        .iter()
        .filter_map(|e| model.tenants.get(e.tenant()).map(|t| (t, e)))
        .flat_map(|(t, e)| by_vendor(t.vendor()).route_event(t, e, &ids))
        .collect()
}

/// A vendor face bound to the emulator: what the fault rules know of a vendor
/// (`scenarios::faults::Face`).
pub struct Bound<'a> {
    pub ctx: &'a Ctx,
    pub api: &'a dyn VendorApi,
}

impl crate::scenarios::faults::Face for Bound<'_> {
    fn vendor(&self) -> Vendor {
        self.api.vendor()
    }
    fn operation(&self, req: &ApiRequest) -> Option<&'static str> {
        self.api.operation(req)
    }
    fn tenant_hint(&self, req: &ApiRequest) -> Option<String> {
        self.api.tenant_hint(self.ctx, req)
    }
    fn handle(&self, req: &ApiRequest) -> Reply {
        self.api.handle(self.ctx, req)
    }
    fn error_for_code(&self, req: &ApiRequest, code: &str) -> Option<Reply> {
        self.api.error_for_code(self.ctx, req, code)
    }
}

/// A vendor face. Handlers are synchronous: the server has already read the body.
pub trait VendorApi: Send + Sync {
    fn vendor(&self) -> Vendor;
    /// Whether this vendor serves `path` (by prefix).
    fn serves(&self, path: &str) -> bool;
    /// Authenticates, parses, runs the model operation and shapes the vendor's envelope.
    fn handle(&self, ctx: &Ctx, req: &ApiRequest) -> Reply;
    /// The vendor's answer when the server core refused the request.
    fn reject(&self, ctx: &Ctx, req: &ApiRequest, why: Rejection) -> Reply;
    /// The vendor's own error for `code` (an injected fault): Udesk ErrCode, NXCloud code, Huawei
    /// HTTP status. `None` if the vendor has no such code.
    fn error_for_code(&self, ctx: &Ctx, req: &ApiRequest, code: &str) -> Option<Reply>;
    /// The documented name of the operation `req` calls, if it is one.
    fn operation(&self, req: &ApiRequest) -> Option<&'static str>;
    /// The tenant `req`'s credentials claim, read without verifying them, so fault rules can
    /// match on the tenant before the handler runs (a refused call must not reach the model).
    fn tenant_hint(&self, _ctx: &Ctx, _req: &ApiRequest) -> Option<String> {
        None
    }
    /// Who among `tenant`'s receivers (subscriptions, a CDR URL) gets `event`, and the body each
    /// is sent, in the vendor's own words. `ids` draws a fresh event id per delivery. Runs under
    /// the model lock: build values, do no I/O.
    fn route_event(
        &self,
        _tenant: &Tenant,
        _event: &ModelEvent,
        _ids: &dyn Fn() -> String,
    ) -> Vec<Outbound> {
        Vec::new()
    }
    /// Whether `name` is an event this vendor pushes (for `POST /_ccemu/events`).
    fn knows_event(&self, _name: &str) -> bool {
        false
    }
}

/// Lowercase hex of a digest: both Udesk's and NXCloud's signatures are compared in this form.
pub use crate::hex::lower as hex_lower;

/// The header carrying ccemu's explanation of a refusal (never part of a vendor's envelope).
pub const DETAIL_HEADER: &str = "x-ccemu-detail";

/// Adds `detail` as the `x-ccemu-detail` header, with anything a header cannot carry replaced by
/// `?` (the text is for people; a lossy header beats none).
pub fn with_detail(reply: Reply, detail: &str) -> Reply {
    let printable: String = detail
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect();
    match hyper::header::HeaderValue::from_str(&printable) {
        Ok(v) => reply.with_header(hyper::header::HeaderName::from_static(DETAIL_HEADER), v),
        Err(_) => reply,
    }
}

/// A 405 with the `Allow` header naming the methods the path takes.
pub fn with_allow<H>(reply: Reply, routes: &[crate::routing::Route<H>], path: &str) -> Reply {
    match hyper::header::HeaderValue::from_str(&crate::routing::allowed(routes, path)) {
        Ok(v) => reply.with_header(hyper::header::ALLOW, v),
        Err(_) => reply,
    }
}

/// One documented route of one vendor, as `GET /_ccemu/routes` and `ccemu routes` list it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CatalogueEntry {
    pub vendor: Vendor,
    #[serde(flatten)]
    pub route: crate::routing::Described,
}

/// Every route ccemu serves, read from the vendors' own routing tables (so it cannot drift from
/// what is served), vendor by vendor in table order.
pub fn catalogue() -> Vec<CatalogueEntry> {
    let of = |vendor: Vendor, routes: &mut dyn Iterator<Item = crate::routing::Described>| {
        routes
            .map(|route| CatalogueEntry { vendor, route })
            .collect::<Vec<_>>()
    };
    let mut all = of(Vendor::Udesk, &mut udesk::routes::catalogue());
    all.extend(of(Vendor::Nxcloud, &mut nxcloud::routes::catalogue()));
    all.extend(of(Vendor::Huawei, &mut huawei::routes::catalogue()));
    all
}

static VENDORS: [&dyn VendorApi; 3] = [&udesk::Udesk, &nxcloud::NxCloud, &huawei::Huawei];

/// The vendor serving `path`, if any.
pub fn for_path(path: &str) -> Option<&'static dyn VendorApi> {
    VENDORS.iter().copied().find(|v| v.serves(path))
}

pub fn by_vendor(vendor: Vendor) -> &'static dyn VendorApi {
    match vendor {
        Vendor::Udesk => &udesk::Udesk,
        Vendor::Nxcloud => &nxcloud::NxCloud,
        Vendor::Huawei => &huawei::Huawei,
    }
}

#[cfg(test)]
mod tests {
    /// Routing trusts each route's `head` (where its first `{name}` starts): every face's table
    /// is built with `routing::head` of its own pattern.
    #[test]
    fn every_route_knows_where_its_parameters_start() {
        fn check<H>(routes: &[crate::routing::Route<H>]) {
            for r in routes {
                assert_eq!(r.head, crate::routing::head(r.pattern), "{}", r.pattern);
            }
        }
        check(super::udesk::routes::ROUTES);
        check(super::nxcloud::routes::ROUTES);
        check(super::huawei::routes::ROUTES);
    }
}
