//! NXCloud NXCC / NXLink (`/saas/cc/openapi/`). Not built yet: every call answers the vendor's
//! 88 "Request failed" so a client sees a vendor-shaped refusal rather than an empty reply.

use crate::emulator::Ctx;
use crate::http::{ApiRequest, Rejection, Reply};
use crate::model::Vendor;
use crate::vendors::VendorApi;
use hyper::StatusCode;

pub const PREFIX: &str = "/saas/cc/openapi/";

pub struct NxCloud;

impl VendorApi for NxCloud {
    fn vendor(&self) -> Vendor {
        Vendor::Nxcloud
    }
    fn serves(&self, path: &str) -> bool {
        path.starts_with(PREFIX)
    }
    fn handle(&self, ctx: &Ctx, _req: &ApiRequest) -> Reply {
        Reply::json(
            StatusCode::OK,
            &serde_json::json!({"reqId": ctx.random_hex(32), "code": 88, "msg": "Request failed", "data": {}}),
        )
    }
    fn reject(&self, ctx: &Ctx, req: &ApiRequest, _why: Rejection) -> Reply {
        self.handle(ctx, req)
    }
    fn error_for_code(&self, _ctx: &Ctx, _req: &ApiRequest, _code: &str) -> Option<Reply> {
        None
    }
    fn operation(&self, _req: &ApiRequest) -> Option<&'static str> {
        None
    }
}
