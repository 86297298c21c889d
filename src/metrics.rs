//! The Prometheus families behind `GET /_ccemu/metrics`, in the exposition format of the
//! `prometheus-client` crate.
//!
//! A bottom-floor module (std, parking_lot and prometheus-client only): the server, the delivery
//! log and the model's lock guard each count with one call taking plain values. Counting is an
//! atomic add behind the family's read lock; a label set is written once, on first sight.
//!
//! Labels are bounded by construction: vendor, operation (the route catalogue), outcome and
//! state are fixed sets; vendor codes and event names come from the vendors' tables, and past
//! `MAX_DISTINCT` distinct values a label reads `other`, so no request or call can add a series.
//! The per-tenant gauges are rebuilt at each scrape from the live tenants only.

use foldhash::HashMap;
use parking_lot::RwLock;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// Distinct values a free-text label (vendor code, event name) may take before reading `other`.
pub const MAX_DISTINCT: usize = 200;

/// The content type `GET /_ccemu/metrics` answers with: the Prometheus text format, which every
/// scraper and `promtool check metrics` read.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    vendor: &'static str,
    operation: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VendorLabel {
    vendor: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaultLabels {
    rule: u64,
    kind: &'static str,
    /// `request` or `delivery`.
    target: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    event: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabel {
    tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgentLabels {
    tenant: String,
    state: &'static str,
}

/// One tenant's gauges as read from the model at a scrape.
pub struct TenantGauges {
    pub tenant: String,
    /// Inbound calls queued now.
    pub waiting: i64,
    /// Agents per state name.
    pub agents: Vec<(&'static str, i64)>,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.1 ms .. ~1.6 s: emulated answers are fast, faults' delays are not.
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

/// A bounded set of label values, leaked once each so that counting allocates nothing.
#[derive(Default)]
struct Interner(RwLock<HashMap<Box<str>, &'static str>>);

impl Interner {
    fn get(&self, value: &str) -> &'static str {
        if let Some(v) = self.0.read().get(value) {
            return v;
        }
        let mut map = self.0.write();
        if let Some(v) = map.get(value) {
            return v;
        }
        if map.len() >= MAX_DISTINCT {
            return "other";
        }
        let leaked: &'static str = Box::leak(value.into());
        map.insert(value.into(), leaked);
        leaked
    }
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Histograms<VendorLabel>,
    faults: Family<FaultLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    delivery_seconds: Histograms<OutcomeLabel>,
    calls: Family<OutcomeLabel, Counter>,
    calls_waiting: Family<TenantLabel, Gauge>,
    agents: Family<AgentLabels, Gauge>,
    stream_readers: Gauge,
    codes: Interner,
    events: Interner,
    /// The request counters already made, shared with `requests`: the family finds one by
    /// hashing its three labels with SipHash on every request, this with foldhash. Bounded as
    /// the family is (operations, interned codes).
    request_counters: RwLock<HashMap<RequestLabels, Counter>>,
    /// Each vendor's latency histogram once it has one (it is shared with `request_seconds`):
    /// found without hashing its label on every request.
    vendor_seconds: [std::sync::OnceLock<Histogram>; 3],
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("ccemu");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Vendor API requests answered, by vendor, operation and the vendor's result code",
            requests.clone(),
        );
        let request_seconds: Histograms<VendorLabel> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "request_duration",
            "Real time from a vendor request's body being read to its answer being decided",
            Unit::Seconds,
            request_seconds.clone(),
        );
        let faults = Family::<FaultLabels, Counter>::default();
        registry.register(
            "faults",
            "Fault rules fired, by rule id and fault kind, on requests or deliveries",
            faults.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Event delivery attempts, by event name and outcome (delivered, pending, failed, dropped)",
            deliveries.clone(),
        );
        let delivery_seconds: Histograms<OutcomeLabel> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "delivery_duration",
            "Real time one delivery attempt took",
            Unit::Seconds,
            delivery_seconds.clone(),
        );
        let calls = Family::<OutcomeLabel, Counter>::default();
        registry.register("calls", "Simulated calls ended, by outcome", calls.clone());
        let calls_waiting = Family::<TenantLabel, Gauge>::default();
        registry.register(
            "calls_waiting",
            "Inbound calls queued for an agent now, per tenant",
            calls_waiting.clone(),
        );
        let agents = Family::<AgentLabels, Gauge>::default();
        registry.register("agents", "Agents by state now, per tenant", agents.clone());
        let stream_readers = Gauge::default();
        registry.register(
            "stream_readers",
            "Open /_ccemu/stream connections",
            stream_readers.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            faults,
            deliveries,
            delivery_seconds,
            calls,
            calls_waiting,
            agents,
            stream_readers,
            codes: Interner::default(),
            events: Interner::default(),
            request_counters: RwLock::default(),
            vendor_seconds: Default::default(),
        }
    }

    /// One vendor request answered (or dropped by a fault).
    pub fn request(
        &self,
        vendor: &'static str,
        operation: Option<&'static str>,
        code: Option<&str>,
        seconds: f64,
    ) {
        let code = code.map_or("none", |c| self.codes.get(c));
        let labels = RequestLabels {
            vendor,
            operation: operation.unwrap_or("unknown"),
            code,
        };
        let known = self.request_counters.read().get(&labels).map(|c| c.inc());
        if known.is_none() {
            let counter = self.requests.get_or_create(&labels).clone();
            counter.inc();
            self.request_counters.write().insert(labels, counter);
        }
        let slot = match vendor {
            "udesk" => Some(&self.vendor_seconds[0]),
            "nxcloud" => Some(&self.vendor_seconds[1]),
            "huawei" => Some(&self.vendor_seconds[2]),
            _ => None,
        };
        let of_family = || {
            self.request_seconds
                .get_or_create(&VendorLabel { vendor })
                .clone()
        };
        match slot {
            Some(slot) => slot.get_or_init(of_family).observe(seconds),
            None => of_family().observe(seconds),
        }
    }

    pub fn fault(&self, rule: u64, kind: &'static str, target: &'static str) {
        self.faults
            .get_or_create(&FaultLabels { rule, kind, target })
            .inc();
    }

    pub fn delivery(&self, event: &str, outcome: &'static str, seconds: f64) {
        let event = self.events.get(event);
        self.deliveries
            .get_or_create(&DeliveryLabels { event, outcome })
            .inc();
        self.delivery_seconds
            .get_or_create(&OutcomeLabel { outcome })
            .observe(seconds);
    }

    pub fn call_ended(&self, outcome: &str) {
        let outcome = match outcome {
            "answered" => "answered",
            "abandoned" => "abandoned",
            "no_answer" => "no_answer",
            "failed" => "failed",
            _ => "other",
        };
        self.calls.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    pub fn stream_opened(&self) {
        self.stream_readers.inc();
    }

    pub fn stream_closed(&self) {
        self.stream_readers.dec();
    }

    /// The exposition, with the per-tenant gauges set from `tenants`. Tenants gone since the
    /// last scrape disappear from it.
    pub fn encode(&self, tenants: &[TenantGauges]) -> String {
        self.calls_waiting.clear();
        self.agents.clear();
        for TenantGauges {
            tenant,
            waiting,
            agents: states,
        } in tenants
        {
            self.calls_waiting
                .get_or_create(&TenantLabel {
                    tenant: tenant.clone(),
                })
                .set(*waiting);
            for (state, n) in states {
                self.agents
                    .get_or_create(&AgentLabels {
                        tenant: tenant.clone(),
                        state,
                    })
                    .set(*n);
            }
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        prometheus_text(&out)
    }
}

/// `prometheus-client` writes OpenMetrics, where a counter family `x` has samples `x_total`;
/// the Prometheus text format names the family as its samples. Only the metadata lines differ:
/// counters' `HELP` and `TYPE` take the `_total`, `UNIT` and `EOF` (comments there) are left out.
fn prometheus_text(openmetrics: &str) -> String {
    let counters: Vec<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 16 * counters.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push_str(prefix);
                out.push_str(name);
                if counters.contains(&name) {
                    out.push_str("_total");
                }
                out.push(' ');
                out.push_str(tail);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_labels_are_bounded() {
        let m = Metrics::new();
        for n in 0..(MAX_DISTINCT + 50) {
            m.request("udesk", Some("listAgents"), Some(&n.to_string()), 0.001);
        }
        let text = m.encode(&[]);
        let series = text
            .lines()
            .filter(|l| l.starts_with("ccemu_requests_total{"))
            .count();
        assert_eq!(series, MAX_DISTINCT + 1, "{text}");
        assert!(text.contains("code=\"other\"} 50"), "{text}");
    }
}
