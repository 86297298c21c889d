//! Udesk's return codes and the rule that ties them to HTTP statuses.
//!
//! The document lists HTTP statuses but every example carries its error in the body, so ccemu
//! picks one rule (written in docs/udesk.md): authentication failures answer 401, request-shape
//! errors (bad JSON, wrong types, missing or malformed fields, oversized bodies) 400, an unknown
//! path 404 and a wrong method 405, business-rule refusals 200, all with the ErrCode body.

use crate::model::ModelError;
use hyper::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UdeskError {
    /// 000001 "Parameter error": a value of the wrong type or format.
    InvalidParameter(String),
    /// 100001 "Parameter is empty": a required field or query parameter is missing.
    EmptyParameter(String),
    /// 100001 on a missing auth query parameter (Sid, Sign, Timestamp, AppId): 401.
    MissingCredential(&'static str),
    /// 100017 "App ID is empty": neither `AppId` nor `app_id` carries a value (the code table
    /// has its own code for this, so it is not the generic 100001).
    AppIdEmpty,
    /// 100003 "Account not found": no account has this Sid.
    AccountNotFound,
    /// 100002 "App is invalid or forbidden": the account does not own this AppId.
    AppInvalid,
    /// 000035 "Request timeout": Timestamp outside the 10-minute window.
    RequestTimeout(String),
    /// 200020 "Authentication error": Sign does not match.
    AuthenticationError,
    /// 000036 "Incorrect request": no such endpoint (404) or method (405).
    IncorrectRequest(StatusCode, String),
    /// A business rule of the model refused the request.
    Model(ModelError),
    /// 000060 "Internal error".
    Internal(String),
    /// Any code from the table, for injected faults.
    Code(&'static str, &'static str),
}

impl From<ModelError> for UdeskError {
    fn from(e: ModelError) -> Self {
        UdeskError::Model(e)
    }
}

/// The document's return-code table, for faults that name a code.
pub const CODES: &[(&str, &str)] = &[
    ("000001", "Parameter error"),
    ("000035", "Request timeout"),
    ("000036", "Incorrect request"),
    ("000060", "Internal error"),
    ("100001", "Parameter is empty"),
    ("100002", "App is invalid or forbidden"),
    ("100003", "Account not found"),
    ("100004", "Incorrect message"),
    ("100005", "Relay number not found"),
    ("100006", "Name already exists"),
    ("100007", "Voice not found"),
    ("100008", "Invalid wav file"),
    ("100009", "Wav file conversion failed"),
    ("100010", "Failed to create default voice file"),
    ("100011", "Failed to create new bucket"),
    ("100012", "Failed to download file"),
    ("100013", "Database initialization failed"),
    ("100014", "Md5 check failed"),
    ("100015", "Number exists"),
    ("100016", "Voice binding agent"),
    ("100017", "App ID is empty"),
    ("100018", "No records found"),
    ("100019", "Parsing failed"),
    ("100020", "Ivr not found"),
    ("100021", "Invalid agent status"),
    ("100022", "Ownership error"),
    ("200001", "This app does not exist"),
    ("200002", "Parameter error"),
    ("200003", "Service resolution error"),
    ("200004", "No related records found"),
    ("200005", "Start node error"),
    ("200006", "Condition node error"),
    ("200007", "Play node error"),
    ("200008", "Voice collection node error"),
    ("200009", "Queue node error"),
    ("200010", "Webhook node error"),
    ("200011", "Number collection node error"),
    ("200018", "Hangup node error"),
    ("200019", "This name already exists"),
    ("200020", "Authentication error"),
    ("200021", "Internal service error"),
    ("200022", "Routing format error"),
    ("200023", "Database error"),
    ("200024", "Missing start or end node"),
];

pub fn describe(code: &str) -> Option<&'static str> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, d)| *d)
}

fn with_detail(code: &'static str, detail: &str) -> (StatusCode, &'static str, String) {
    let base = describe(code).unwrap_or("Error");
    let desc = if detail.is_empty() {
        base.to_string()
    } else {
        format!("{base}: {detail}")
    };
    (StatusCode::OK, code, desc)
}

impl UdeskError {
    /// HTTP status, ErrCode and ErrDesc.
    pub fn parts(&self) -> (StatusCode, &'static str, String) {
        use UdeskError::*;
        let (status, code, desc) = match self {
            InvalidParameter(d) => (
                StatusCode::BAD_REQUEST,
                "000001",
                with_detail("000001", d).2,
            ),
            EmptyParameter(d) => (
                StatusCode::BAD_REQUEST,
                "100001",
                with_detail("100001", d).2,
            ),
            MissingCredential(p) => (
                StatusCode::UNAUTHORIZED,
                "100001",
                with_detail("100001", p).2,
            ),
            AppIdEmpty => (
                StatusCode::UNAUTHORIZED,
                "100017",
                with_detail("100017", "AppId (or app_id) is required").2,
            ),
            AccountNotFound => (
                StatusCode::UNAUTHORIZED,
                "100003",
                with_detail("100003", "no account has this Sid").2,
            ),
            AppInvalid => (
                StatusCode::UNAUTHORIZED,
                "100002",
                with_detail("100002", "the account does not own this AppId").2,
            ),
            RequestTimeout(d) => (
                StatusCode::UNAUTHORIZED,
                "000035",
                with_detail("000035", d).2,
            ),
            AuthenticationError => (
                StatusCode::UNAUTHORIZED,
                "200020",
                with_detail(
                    "200020",
                    "Sign does not match SHA1(Sid + AuthToken + Timestamp)",
                )
                .2,
            ),
            IncorrectRequest(status, d) => (*status, "000036", with_detail("000036", d).2),
            Internal(d) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "000060",
                with_detail("000060", d).2,
            ),
            Code(code, desc) => (StatusCode::OK, *code, desc.to_string()),
            // A value the model finds malformed (an extension not four digits starting with 1,
            // Strategy outside 0-2, a negative Timeout, an unknown Role) is a request-shape error
            // like any other 000001, so 400; every other refusal is a business rule, so 200.
            Model(ModelError::Invalid(d)) => (
                StatusCode::BAD_REQUEST,
                "000001",
                with_detail("000001", d).2,
            ),
            Model(ModelError::Ivr(e)) => with_detail(e.code, &e.message),
            Model(e) => {
                let code = model_code(e);
                with_detail(code, &e.to_string())
            }
        };
        (status, code, desc)
    }
}

/// Which Udesk code each business-rule refusal gets (ccemu's mapping; docs/udesk.md lists it).
fn model_code(e: &ModelError) -> &'static str {
    use ModelError::*;
    match e {
        TenantNotFound(_) => "200001",
        AgentNotFound(_) | ExtensionNotFound(_) | QueueNotFound(_) | SubscriptionNotFound(_) => {
            "100018"
        }
        RelayNumberNotFound(_) => "100005",
        AgentExists(_) | QueueExists(_) | QueueNameExists(_) | WorkIdExists(_) => "100006",
        ExtensionExists(_) => "100015",
        SubscriptionNameExists(_) => "200019",
        ExtensionBound { .. }
        | ExtensionNotBound { .. }
        | SignalTypeTaken { .. }
        | QueueNotEmpty(_) => "100022",
        AgentOnline(_) | AgentDisabled(_) | NoExtension(_) | InCall(_) | StateInPast { .. } => {
            "100021"
        }
        LastQueue(_) | Invalid(_) => "000001",
        Ivr(e) => e.code,
    }
}
