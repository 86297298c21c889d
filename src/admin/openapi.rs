//! `GET /_ccemu/openapi/admin.json`: ccemu's own API in OpenAPI 3.1, with a `webhooks` section
//! describing every payload ccemu POSTs to a user's receiver.
//!
//! The admin routes are one table (`ROUTES`); `tests/admin_openapi.rs` calls every row against the
//! dispatcher and checks that every admin path literal in `src/admin/` has a row, so the table and
//! the handlers cannot drift apart unnoticed. The webhooks come from the vendors' own event
//! tables (`vendors::udesk::events::EVENTS`): a new event type there is a new webhook here.
//! A new admin endpoint is one more row; the body schemas of fixtures and scenarios are the
//! JSON Schemas of `schemas/`, referenced rather than copied.

use super::answers::*;
use crate::contract::schemas;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

/// The schema of an answer type, from the generator that gathers their components.
type AnswerSchema = fn(&mut SchemaGenerator) -> Schema;

fn of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// One admin operation.
pub struct AdminRoute {
    pub method: &'static str,
    /// OpenAPI path, `{name}` for a path parameter.
    pub path: &'static str,
    pub summary: &'static str,
    /// The request body's schema, if it takes one.
    pub body: Option<fn() -> Value>,
    /// Whether the body may be left out (the handler then takes its defaults).
    pub body_required: bool,
    /// The media type of the 200 answer (refusals are always JSON).
    pub content_type: &'static str,
    /// The 200 answer's type (`super::answers`, or the domain type answered as it is); `None`:
    /// described only as a JSON object or array.
    pub answer: Option<AnswerSchema>,
    /// Whether `?sandbox=ID` scopes it (docs/sandboxes.md).
    pub sandbox: bool,
    /// The docs page that describes it.
    pub doc: &'static str,
}

const fn route(method: &'static str, path: &'static str, summary: &'static str) -> AdminRoute {
    AdminRoute {
        method,
        path,
        summary,
        body: None,
        body_required: false,
        content_type: "application/json",
        answer: None,
        sandbox: false,
        doc: "docs/admin.md",
    }
}

impl AdminRoute {
    const fn body(mut self, schema: fn() -> Value) -> Self {
        self.body = Some(schema);
        self.body_required = true;
        self
    }
    /// A body the handler also serves without (no body, or only whitespace: its defaults).
    const fn optional_body(mut self, schema: fn() -> Value) -> Self {
        self.body = Some(schema);
        self.body_required = false;
        self
    }
    /// The 200 answer's schema, derived from the type the handler serialises.
    const fn answers(mut self, schema: AnswerSchema) -> Self {
        self.answer = Some(schema);
        self
    }
    /// A 200 answer that is not JSON.
    const fn returns(mut self, content_type: &'static str) -> Self {
        self.content_type = content_type;
        self
    }
    const fn sandboxed(mut self) -> Self {
        self.sandbox = true;
        self
    }
    const fn doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }
}

fn any_object() -> Value {
    json!({"type": "object"})
}
fn vendor() -> Value {
    json!({"enum": ["udesk", "nxcloud", "huawei"]})
}
fn fixture() -> Value {
    json!({"$ref": "#/components/schemas/fixture"})
}
/// A merge body is a fragment of a fixture, not a whole one: any field may be left out, and the
/// merged model, not the fragment, is what is checked (docs/fixtures.md).
fn fixture_fragment() -> Value {
    json!({"type": "object", "description": "A fragment of a fixture (#/components/schemas/fixture): keyed lists merge by id (extensions by extension), other values replace. The merged model is checked; the fragment's values are not held to the fixture schema's ranges."})
}
fn scenario() -> Value {
    json!({"$ref": "#/components/schemas/scenario"})
}
fn rule() -> Value {
    json!({"$ref": "#/components/schemas/rule"})
}
fn call() -> Value {
    let mut call = scenario_defs()["call"].clone();
    rewrite_refs(&mut call, "#/components/schemas/scenario.");
    call["properties"]["vendor"] = vendor();
    call
}
fn reset_body() -> Value {
    json!({"type": "object", "properties": {"clock": {"type": "boolean"}}, "additionalProperties": false})
}
fn clock_body() -> Value {
    json!({"type": "object", "properties": {
        "real": {"type": "boolean", "enum": [true]}, "frozen": {"type": "boolean"},
        "now_ms": {"type": "integer"}, "advance_ms": {"type": "integer"}},
        "additionalProperties": false})
}
fn agent_state_body() -> Value {
    json!({"type": "object", "required": ["tenant", "agent", "state"], "properties": {
        "vendor": vendor(), "tenant": {"type": "string"}, "agent": {"type": "string"},
        "state": {"type": "string"}, "at_ms": {"type": "integer"}}})
}
fn events_body() -> Value {
    json!({"type": "object", "required": ["tenant", "event"], "additionalProperties": false, "properties": {
        "vendor": vendor(), "tenant": {"type": "string"}, "event": {"type": "string"},
        "fields": {"type": "object"}, "at_ms": {"type": "integer"}}})
}
fn call_mode_body() -> Value {
    json!({"type": "object", "required": ["tenant", "agent", "signal_type"], "additionalProperties": false,
        "properties": {"vendor": vendor(), "tenant": {"type": "string"}, "agent": {"type": "string"},
        "signal_type": {"enum": [0, 1]}}})
}
fn skew_body() -> Value {
    json!({"type": "object", "required": ["tenant", "offset_ms"], "additionalProperties": false,
        "properties": {"vendor": vendor(), "tenant": {"type": "string"}, "offset_ms": {"type": "integer"}}})
}
fn revoke_body() -> Value {
    json!({"type": "object", "required": ["tenant"], "additionalProperties": false,
        "properties": {"vendor": vendor(), "tenant": {"type": "string"}, "at_ms": {"type": "integer"}}})
}
fn wait_body() -> Value {
    json!({"type": "object", "properties": {"match": {"type": "object"},
        "count": {"type": "integer", "minimum": 0,
            "description": "0 answers at once with what already matches."}, "timeout_ms": {"type": "integer", "minimum": 0}},
        "additionalProperties": false})
}
fn hangup_body() -> Value {
    json!({"type": "object", "properties": {"by": {"enum": ["customer", "agent"]}}, "additionalProperties": false})
}
fn strict_body() -> Value {
    json!({"type": "object", "required": ["on"], "properties": {"on": {"type": "boolean"},
        "refuse": {"type": "boolean"}}, "additionalProperties": false})
}
fn sandbox_body() -> Value {
    json!({"type": "object", "properties": {"id": {"type": "string"}, "from": fixture()},
        "additionalProperties": false})
}
fn snapshot_body() -> Value {
    json!({"type": "object", "required": ["name"], "additionalProperties": false,
        "properties": {"name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"}}})
}

/// `GET /_ccemu/ivr-flows`: one tenant's (`?tenant=`) or every tenant's.
/// `GET /_ccemu/state` answers the model in the fixture file's own shape, so its schema is the
/// fixture's (the one `ccemu check` and editors use), not a second description of it.
fn state_answer(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"$ref": "#/components/schemas/fixture"})
}

fn ivr_flows(g: &mut SchemaGenerator) -> Schema {
    let one = g.subschema_for::<IvrView<'static>>();
    let all = g.subschema_for::<IvrList<'static>>();
    schemars::json_schema!({"oneOf": [one, all]})
}

/// Every admin operation. A new endpoint is one more row here (and the test finds it missing
/// until it is).
pub const ROUTES: &[AdminRoute] = &[
    route(
        "GET",
        "/_ccemu/health",
        "Liveness, version, tenant count, virtual now",
    )
    .answers(of::<Health>),
    route("POST", "/_ccemu/reset", "Back to the startup state").optional_body(reset_body),
    route(
        "GET",
        "/_ccemu/state",
        "The whole model, in the fixture's shape",
    )
    .answers(state_answer)
    .doc("docs/fixtures.md"),
    route(
        "POST",
        "/_ccemu/fixture",
        "Merge a fixture fragment into the live model",
    )
    .body(fixture_fragment)
    .doc("docs/fixtures.md"),
    route("GET", "/_ccemu/clock", "The virtual clock")
        .answers(of::<ClockView>)
        .sandboxed(),
    route(
        "POST",
        "/_ccemu/clock",
        "Freeze, set or move the virtual clock",
    )
    .body(clock_body)
    .answers(of::<ClockView>)
    .sandboxed(),
    route(
        "POST",
        "/_ccemu/agent-state",
        "Move an agent along its state timeline",
    )
    .body(agent_state_body)
    .answers(of::<AgentStateSet>),
    route(
        "GET",
        "/_ccemu/routes",
        "Every vendor route with its contract",
    ),
    route("GET", "/_ccemu/requests", "The request journal")
        .answers(of::<Journal<'static>>)
        .sandboxed(),
    route("DELETE", "/_ccemu/requests", "Clear the journal"),
    route(
        "GET",
        "/_ccemu/requests/count",
        "How many journal entries match",
    )
    .sandboxed(),
    route(
        "POST",
        "/_ccemu/requests/count",
        "How many journal entries match a body filter",
    )
    .body(any_object),
    route(
        "POST",
        "/_ccemu/requests/wait",
        "Wait until N journal entries match",
    )
    .body(wait_body)
    .answers(of::<JournalFound<'static>>),
    route("POST", "/_ccemu/faults", "Add a fault rule")
        .body(rule)
        .answers(of::<FaultAdded>)
        .sandboxed()
        .doc("docs/scenarios.md"),
    route(
        "GET",
        "/_ccemu/faults",
        "The fault rules with their counters",
    )
    .answers(of::<FaultList>)
    .sandboxed()
    .doc("docs/scenarios.md"),
    route("DELETE", "/_ccemu/faults", "Drop every fault rule")
        .sandboxed()
        .doc("docs/scenarios.md"),
    route("GET", "/_ccemu/faults/{id}", "One fault rule")
        .sandboxed()
        .doc("docs/scenarios.md"),
    route("DELETE", "/_ccemu/faults/{id}", "Drop one fault rule")
        .sandboxed()
        .doc("docs/scenarios.md"),
    route("POST", "/_ccemu/scenarios", "Load a scenario file")
        .body(scenario)
        .answers(of::<crate::scenarios::Loaded>)
        .doc("docs/scenarios.md"),
    route(
        "GET",
        "/_ccemu/scenarios",
        "Loaded scenarios, pending and applied events",
    )
    .doc("docs/scenarios.md"),
    route("DELETE", "/_ccemu/scenarios", "Drop the timeline").doc("docs/scenarios.md"),
    route("POST", "/_ccemu/skews", "Set a tenant's clock skew")
        .body(skew_body)
        .doc("docs/scenarios.md"),
    route("GET", "/_ccemu/skews", "The tenants' clock skews").doc("docs/scenarios.md"),
    route("POST", "/_ccemu/revoke-tokens", "Revoke a tenant's tokens")
        .body(revoke_body)
        .doc("docs/scenarios.md"),
    route("GET", "/_ccemu/revoke-tokens", "The revocations").doc("docs/scenarios.md"),
    route("GET", "/_ccemu/webhooks", "Every delivery target's queue").doc("docs/events.md"),
    route(
        "GET",
        "/_ccemu/webhooks/deliveries",
        "Every delivery attempt",
    )
    .answers(of::<Deliveries<'static>>)
    .sandboxed()
    .doc("docs/events.md"),
    route(
        "DELETE",
        "/_ccemu/webhooks/deliveries",
        "Clear the delivery log",
    )
    .doc("docs/events.md"),
    route(
        "POST",
        "/_ccemu/webhooks/wait",
        "Wait until N deliveries match",
    )
    .body(wait_body)
    .answers(of::<DeliveriesFound<'static>>)
    .doc("docs/events.md"),
    route("POST", "/_ccemu/events", "Push one event by hand")
        .body(events_body)
        .doc("docs/events.md"),
    route(
        "POST",
        "/_ccemu/call-mode",
        "Switch the signal type an agent calls with",
    )
    .body(call_mode_body)
    .doc("docs/events.md"),
    route("POST", "/_ccemu/calls", "Start a simulated call")
        .body(call)
        .answers(of::<CallAnswer<'static>>)
        .doc("docs/calls.md"),
    route("GET", "/_ccemu/calls", "Live and finished calls")
        .answers(of::<CallList<'static>>)
        .doc("docs/calls.md"),
    route("GET", "/_ccemu/calls/{id}", "One call")
        .answers(of::<crate::calls::Call>)
        .doc("docs/calls.md"),
    route("POST", "/_ccemu/calls/{id}/hangup", "End a call now")
        .optional_body(hangup_body)
        .answers(of::<CallAnswer<'static>>)
        .doc("docs/calls.md"),
    route(
        "POST",
        "/_ccemu/calls/{id}/actions",
        "An agent's or supervisor's action on a live call: hold, resume, consult, three-way, transfer, eavesdrop, intercept",
    )
    .answers(of::<CallAnswer<'static>>)
    .doc("docs/calls.md"),
    route(
        "GET",
        "/_ccemu/ivr-flows",
        "A tenant's IVR flows and voice list (every tenant's without ?tenant=)",
    )
    .answers(ivr_flows)
    .doc("docs/calls.md"),
    route(
        "PUT",
        "/_ccemu/ivr-flows",
        "Replace a tenant's IVR flows (and voices), checked with the Udesk document's codes",
    )
    .answers(of::<IvrView<'static>>)
    .doc("docs/calls.md"),
    route("GET", "/_ccemu/ui", "The dashboard page (HTML)")
        .returns("text/html")
        .doc("docs/dashboard.md"),
    route("GET", "/_ccemu/ui/app.js", "The dashboard's script")
        .returns("text/javascript")
        .doc("docs/dashboard.md"),
    route("GET", "/_ccemu/ui/app.css", "The dashboard's stylesheet")
        .returns("text/css")
        .doc("docs/dashboard.md"),
    route(
        "GET",
        "/_ccemu/ui/snapshot",
        "Agents, queues, clock and tenants in one answer, for the dashboard to catch up from",
    )
    .doc("docs/dashboard.md"),
    route(
        "GET",
        "/_ccemu/stream",
        "Server-Sent Events: agent states, call steps, deliveries, journal entries, fault hits",
    )
    .returns("text/event-stream")
    .doc("docs/dashboard.md"),
    route(
        "GET",
        "/_ccemu/metrics",
        "Prometheus text exposition: requests, faults, deliveries, calls, agents by state",
    )
    .returns("text/plain")
    .doc("docs/operations.md"),
    route(
        "GET",
        "/_ccemu/openapi/{document}",
        "The OpenAPI documents: udesk.json, nxcloud.json, huawei.json, admin.json",
    )
    .doc("docs/contract.md"),
    route(
        "GET",
        "/_ccemu/schemas/{document}",
        "The JSON Schemas of fixture and scenario files",
    )
    .doc("docs/fixtures.md"),
    route("GET", "/_ccemu/strict", "Whether strict mode is on").doc("docs/contract.md"),
    route("POST", "/_ccemu/strict", "Switch strict mode")
        .body(strict_body)
        .doc("docs/contract.md"),
    route(
        "GET",
        "/_ccemu/contract/report",
        "The contract coverage report",
    )
    .doc("docs/contract.md"),
    route(
        "DELETE",
        "/_ccemu/contract/report",
        "Clear the coverage counts",
    )
    .doc("docs/contract.md"),
    route("POST", "/_ccemu/sandboxes", "Make a sandbox")
        .optional_body(sandbox_body)
        .answers(of::<SandboxView>)
        .doc("docs/sandboxes.md"),
    route("GET", "/_ccemu/sandboxes", "The sandboxes")
        .answers(of::<SandboxList>)
        .doc("docs/sandboxes.md"),
    route("GET", "/_ccemu/sandboxes/{id}", "One sandbox")
        .answers(of::<SandboxView>)
        .doc("docs/sandboxes.md"),
    route("DELETE", "/_ccemu/sandboxes/{id}", "Drop a sandbox").doc("docs/sandboxes.md"),
    route(
        "POST",
        "/_ccemu/sandboxes/{id}/reset",
        "A sandbox back as made",
    )
    .doc("docs/sandboxes.md"),
    route("POST", "/_ccemu/snapshots", "Take a named snapshot")
        .body(snapshot_body)
        .answers(of::<SnapshotTaken>)
        .sandboxed(),
    route("GET", "/_ccemu/snapshots", "The named snapshots")
        .answers(of::<SnapshotList>)
        .sandboxed(),
    route(
        "POST",
        "/_ccemu/snapshots/{name}/restore",
        "Restore a named snapshot",
    )
    .answers(of::<SnapshotRestored>)
    .sandboxed(),
    route(
        "DELETE",
        "/_ccemu/snapshots/{name}",
        "Forget a named snapshot",
    )
    .sandboxed(),
];

fn scenario_defs() -> Value {
    schemas::by_name("scenario")
        .map(|s| s.value()["$defs"].clone())
        .unwrap_or(Value::Null)
}

/// A JSON Schema from `schemas/` as an OpenAPI component: its `$defs` lifted beside it (OpenAPI
/// resolves `#/…` from the document root), its references rewritten to point there.
fn lift(name: &str, components: &mut Map<String, Value>) {
    let Some(schema) = schemas::by_name(name) else {
        return;
    };
    let mut value = schema.value();
    let prefix = format!("#/components/schemas/{name}.");
    let defs = value
        .as_object_mut()
        .and_then(|m| {
            m.remove("$schema");
            m.remove("$id");
            m.remove("$defs")
        })
        .unwrap_or_default();
    rewrite_refs(&mut value, &prefix);
    components.insert(name.to_string(), value);
    if let Value::Object(defs) = defs {
        for (k, mut v) in defs {
            rewrite_refs(&mut v, &prefix);
            components.insert(format!("{name}.{k}"), v);
        }
    }
}

fn rewrite_refs(v: &mut Value, prefix: &str) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref") {
                if let Some(rest) = r.strip_prefix("#/$defs/") {
                    *r = format!("{prefix}{rest}");
                }
            }
            m.values_mut().for_each(|x| rewrite_refs(x, prefix));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_refs(x, prefix)),
        _ => {}
    }
}

fn params(path: &str, sandbox: bool) -> Vec<Value> {
    let mut out: Vec<Value> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if sandbox {
        out.push(json!({"name": "sandbox", "in": "query", "required": false,
            "description": "Scope the call to this sandbox (docs/sandboxes.md).", "schema": {"type": "string"}}));
    }
    out
}

fn operation_id(r: &AdminRoute) -> String {
    let mut id = r.method.to_ascii_lowercase();
    for seg in r.path.trim_start_matches("/_ccemu/").split('/') {
        id.push('_');
        id.push_str(&seg.replace(['{', '}'], "").replace('-', "_"));
    }
    id
}

/// The methods `ROUTES` documents on a concrete path (`{name}` matches any one segment), or
/// `None` when no row's path matches it. The dispatcher answers any other method with 405 and
/// this list in `Allow`.
pub fn allowed_methods(path: &str) -> Option<Vec<&'static str>> {
    let given: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut out: Vec<&'static str> = Vec::new();
    let mut matched = false;
    for r in ROUTES {
        let pattern: Vec<&str> = r.path.split('/').collect();
        let fits = pattern.len() == given.len()
            && pattern.iter().zip(&given).all(|(p, g)| {
                *p == *g || (p.starts_with('{') && p.ends_with('}') && !g.is_empty())
            });
        if fits {
            matched = true;
            if !out.contains(&r.method) {
                out.push(r.method);
            }
        }
    }
    matched.then_some(out)
}

fn operation(r: &AdminRoute, g: &mut SchemaGenerator) -> Value {
    let ok_schema = if let Some(answer) = r.answer {
        answer(g).to_value()
    } else if r.content_type == "application/json" {
        json!({"type": "object"})
    } else if r.content_type == "text/event-stream" {
        // One server-sent event, as readers parse it; `data` is JSON text (docs/dashboard.md).
        json!({"type": "object", "properties": {"event": {"type": "string"},
            "data": {"type": "string"}, "id": {"type": "string"}, "retry": {"type": "integer"}}})
    } else {
        json!({"type": "string"})
    };
    let mut op = json!({
        "operationId": operation_id(r),
        "summary": r.summary,
        "description": format!("See {}.", r.doc),
        "parameters": params(r.path, r.sandbox),
        "responses": {
            "200": {"description": "Done", "content": {r.content_type: {"schema": ok_schema}}},
            "default": {"description": "Refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/refusal"}}}},
        },
    });
    if let Some(body) = r.body {
        op["requestBody"] = json!({"required": r.body_required, "content": {"application/json": {"schema": body()}}});
    }
    op
}

/// The members a call event adds to the call's own fields (`calls::CallFields`): the IVR
/// node's, the consulted agent's or supervisor's, and what the step itself carries.
fn call_event_extras(event: &str) -> Vec<(String, Value)> {
    let s = || json!({"type": "string"});
    let opt = || json!({"type": ["string", "null"]});
    let agent = |prefix: &str| {
        vec![
            (format!("{prefix}_id"), s()),
            (format!("{prefix}_work_id"), opt()),
            (format!("{prefix}_extension"), opt()),
        ]
    };
    let node = |more: &[(&str, Value)]| {
        let mut v = vec![
            ("ivr_node".to_string(), s()),
            ("ivr_node_kind".to_string(), s()),
        ];
        v.extend(more.iter().map(|(k, t)| (k.to_string(), t.clone())));
        v
    };
    match event {
        "hold_agent_succ" => vec![("hold".into(), json!({"type": "boolean"}))],
        "extern_succ" => vec![("external_number".into(), s())],
        "consult_succ" => {
            let mut v = agent("consulted_agent");
            v.push(("customer_held".into(), json!({"type": "boolean"})));
            v
        }
        "end_consult_succ" | "three_way_succ" => agent("consulted_agent"),
        "eavesdrop_succ" => agent("supervisor"),
        "substitute_succ" => {
            let mut v = agent("supervisor");
            v.push(("replaced_agent_id".into(), s()));
            v
        }
        "play_succ" => node(&[("voice_id", s()), ("voice_name", s())]),
        "dtmf_gather_succ" => node(&[("digits", s())]),
        "asr_gather_succ" => node(&[("text", s())]),
        "voice_mail_succ" => node(&[
            ("voicemail_duration", json!({"type": "integer"})),
            ("voicemail_file", s()),
        ]),
        _ => Vec::new(),
    }
}

/// The Udesk event body (docs/events.md): the envelope, and `data` by category. A call event's
/// `data` is `calls::CallFields` (its schema derived from the type) plus its step's members, and
/// nothing else; one pushed by hand with `POST /_ccemu/events` carries the fields it was given.
fn udesk_event(category: &str, event: &str, g: &mut SchemaGenerator) -> Value {
    let s = |t: &str| json!({"type": t});
    let opt = |t: &str| json!({"type": [t, "null"]});
    let data = match category {
        "agent_state" => {
            json!({"type": "object", "required": ["agent_id", "work_id", "agent_name", "extension", "state", "state_des",
                "reason_code", "reason_code_des", "previous_state", "previous_state_des", "ext_state"],
            "additionalProperties": false, "properties": {
            "agent_id": s("string"), "work_id": s("string"), "agent_name": s("string"), "extension": s("string"),
            "state": s("integer"), "state_des": s("string"), "reason_code": s("integer"), "reason_code_des": s("string"),
            "previous_state": s("integer"), "previous_state_des": s("string"), "ext_state": s("integer")}})
        }
        "ext_state" => {
            json!({"type": "object", "required": ["agent_id", "work_id", "agent_name", "extension", "number", "signal_type", "action", "ext_state"],
            "additionalProperties": false, "properties": {
            "agent_id": s("string"), "work_id": s("string"), "agent_name": s("string"), "extension": s("string"),
            "number": s("string"), "signal_type": s("integer"), "action": {"enum": ["bind", "unbind", "line"]},
            "ext_state": s("integer"), "previous_ext_state": {"type": "integer", "description": "With action \"line\" only."}}})
        }
        "agent_call_mode" => {
            json!({"type": "object", "required": ["agent_id", "work_id", "agent_name", "extension", "signal_type", "call_mode", "previous_signal_type", "previous_call_mode"],
            "additionalProperties": false, "properties": {
            "agent_id": s("string"), "work_id": s("string"), "agent_name": s("string"), "extension": s("string"),
            "signal_type": opt("integer"), "call_mode": {"enum": ["sip", "webrtc", ""]},
            "previous_signal_type": opt("integer"), "previous_call_mode": {"enum": ["sip", "webrtc", ""]}}})
        }
        _ => {
            let fields = g.subschema_for::<crate::calls::CallFields>().to_value();
            let extras = call_event_extras(event);
            let required: Vec<&String> = extras.iter().map(|(k, _)| k).collect();
            let properties: Map<String, Value> = extras.iter().cloned().collect();
            json!({"allOf": [fields], "required": required, "properties": properties,
                "unevaluatedProperties": false,
                "description": "The call's fields (docs/calls.md) and the step's own; an event pushed with POST /_ccemu/events carries the fields it was given instead."})
        }
    };
    json!({
        "type": "object",
        "required": ["event", "category", "event_id", "app_id", "subscription_id", "subscription_name", "timestamp", "data"],
        "additionalProperties": false,
        "properties": {
            "event": {"const": event},
            "category": {"const": category},
            "event_id": s("string"),
            "app_id": s("string"),
            "subscription_id": s("integer"),
            "subscription_name": s("string"),
            "timestamp": {"type": "integer", "description": "The virtual instant it happened, ms."},
            "data": data,
        },
    })
}

/// The headers every delivery carries (docs/events.md), as webhook parameters.
fn delivery_headers() -> Vec<Value> {
    vec![
        json!({"name": "X-Ccemu-Event-Id", "in": "header", "required": true, "schema": {"type": "string"},
            "description": "Unique per delivery; the same across retries and duplicates."}),
        json!({"name": "X-Ccemu-Event", "in": "header", "required": true, "schema": {"type": "string"},
            "description": "The event's name."}),
    ]
}

fn webhooks() -> Map<String, Value> {
    let mut out = Map::new();
    for (category, event) in crate::vendors::udesk::events::EVENTS {
        out.insert(
            format!("udesk.{event}"),
            json!({"post": {
                "operationId": format!("udesk_{event}"),
                "summary": format!("Udesk {category} event {event}, POSTed to each subscription's callback that names it"),
                "description": "docs/events.md. A tenant's webhook_template reshapes the body; this is ccemu's own shape.",
                "parameters": delivery_headers(),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/udesk.{event}")}}}},
                "responses": {"2XX": {"description": "Delivered (any 2xx; the body is ignored)"}, "default": {"description": "Failed: retried per --webhook-retries"}},
            }}),
        );
    }
    let mut cdr_headers = delivery_headers();
    cdr_headers.push(
        json!({"name": "token", "in": "header", "required": false, "schema": {"type": "string"},
        "description": "The tenant's cdr_token, when set."}),
    );
    out.insert(
        "nxcloud.cdr".into(),
        json!({"post": {
            "operationId": "nxcloud_cdr",
            "summary": "NXCloud CDR push: each finished call's record, POSTed to the tenant's cdr_url",
            "description": "docs/nxcloud.md. The same record cdr/page answers.",
            "parameters": cdr_headers,
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/nxcloud.cdr"}}}},
            "responses": {"2XX": {"description": "Delivered"}, "default": {"description": "Failed: retried per --webhook-retries"}},
        }}),
    );
    out
}

/// Answer schemas gather their named types under `#/components/schemas/` (draft 2020-12, as
/// OpenAPI 3.1's dialect), each as serialised: fields skipped when empty are not required.
fn generator() -> SchemaGenerator {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12().for_serialize();
    settings.definitions_path = "/components/schemas".into();
    settings
        .transforms
        .push(Box::new(schemars::transform::RecursiveTransform(one_enum)));
    settings.into_generator()
}

/// A unit enum whose variants carry doc comments comes out of schemars as a `oneOf` of string
/// `const`s; client generators read that as a union of literal types (openapi-python-client
/// stops at the first). One `enum` says the same, with the variants' docs in its description.
fn one_enum(schema: &mut Schema) {
    let Some(Value::Array(options)) = schema.get("oneOf") else {
        return;
    };
    let mut values = Vec::new();
    let mut notes = Vec::new();
    for o in options {
        if o.get("type") != Some(&json!("string")) {
            return;
        }
        let these: Vec<Value> = match (o.get("const"), o.get("enum")) {
            (Some(c), None) => vec![c.clone()],
            (None, Some(Value::Array(e))) => e.clone(),
            _ => return,
        };
        if let Some(Value::String(d)) = o.get("description") {
            for v in &these {
                notes.push(format!("`{}`: {d}", v.as_str().unwrap_or_default()));
            }
        }
        values.extend(these);
    }
    schema.remove("oneOf");
    schema.insert("type".into(), json!("string"));
    schema.insert("enum".into(), Value::Array(values));
    if !notes.is_empty() {
        let before = schema
            .get("description")
            .and_then(Value::as_str)
            .map(|d| format!("{d} "))
            .unwrap_or_default();
        schema.insert(
            "description".into(),
            json!(format!("{before}{}", notes.join("; "))),
        );
    }
}

/// The document.
pub fn document() -> Value {
    let mut g = generator();
    let mut paths = Map::new();
    for r in ROUTES {
        let item = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        item[r.method.to_ascii_lowercase()] = operation(r, &mut g);
    }
    let mut components = Map::new();
    components.insert(
        "refusal".into(),
        json!({"type": "object", "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}),
    );
    lift("fixture", &mut components);
    lift("scenario", &mut components);
    components.insert(
        "rule".into(),
        json!({"$ref": "#/components/schemas/scenario.rule"}),
    );
    for (category, event) in crate::vendors::udesk::events::EVENTS {
        components.insert(
            format!("udesk.{event}"),
            udesk_event(category, event, &mut g),
        );
    }
    let cdr = g.subschema_for::<crate::vendors::nxcloud::cdr::Cdr>();
    components.insert("nxcloud.cdr".into(), cdr.to_value());
    components.extend(g.take_definitions(true));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ccemu admin API and webhooks",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "ccemu's own control API under /_ccemu/ (docs/admin.md), and in `webhooks` every payload ccemu POSTs to a receiver: Udesk events (docs/events.md) and the NXCloud CDR push.",
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": paths,
        "webhooks": webhooks(),
        "components": {"schemas": components},
    })
}
