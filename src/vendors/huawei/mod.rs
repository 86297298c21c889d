//! Huawei Cloud CEC (`/apigovernance/`, `/apiaccess/`). Not built yet: every call answers 404.

use crate::emulator::Ctx;
use crate::http::{ApiRequest, Rejection, Reply};
use crate::model::Vendor;
use crate::vendors::VendorApi;
use hyper::StatusCode;

pub struct Huawei;

impl VendorApi for Huawei {
    fn vendor(&self) -> Vendor {
        Vendor::Huawei
    }
    fn serves(&self, path: &str) -> bool {
        path.starts_with("/apigovernance/") || path.starts_with("/apiaccess/")
    }
    fn handle(&self, _ctx: &Ctx, _req: &ApiRequest) -> Reply {
        Reply::json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"error_code": "CCEMU.0404", "error_msg": "not implemented yet"}),
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
