//! The ccapi v2 routing table, in the document's order. Literal segments come before `{id}`
//! patterns where both could match (`/agents/extensions` before `/agents/{id}`).

use super::{relay_numbers, Envelope, Handler};
use crate::routing::Route;
use hyper::Method;

use Envelope::*;

macro_rules! route {
    ($method:ident, $pattern:literal, $op:literal, $handler:path, $env:ident) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            operation: $op,
            handler: ($handler as Handler, $env),
        }
    };
}

pub static ROUTES: &[Route<(Handler, Envelope)>] = &[
    route!(
        GET,
        "/ccapi/v2/spnumbers",
        "getRelayNumberList",
        relay_numbers::list,
        Standard
    ),
    route!(
        PUT,
        "/ccapi/v2/spnumbers/default",
        "modifyDefaultRelayNumber",
        relay_numbers::set_default,
        Standard
    ),
    route!(
        DELETE,
        "/ccapi/v2/spnumbers/default",
        "deleteDefaultRelayNumber",
        relay_numbers::clear_default,
        Standard
    ),
];
