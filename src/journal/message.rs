//! A request's or an answer's headers and body as an entry keeps them: capped, copied where
//! sharing would pin a connection's buffer, shared where it is the answer's own.

use crate::http::{ApiRequest, Payload, Reply};
use hyper::body::Bytes;
use hyper::HeaderMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The most of a body, and separately of a header block, that an entry keeps.
pub const BODY_KEPT: usize = 16 * 1024;

/// Headers or a body, as they went over the wire, capped at `BODY_KEPT` each.
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// `name: value\n` lines in arrival order, names lower-case (one allocation, not one per
    /// header: this is built on every request).
    headers: Box<str>,
    /// An answer's envelope and the page it frames stay apart, shared with the answer itself.
    body: Payload,
    /// Whether the headers or the body were cut at the cap.
    pub truncated: bool,
}

/// The bytes of a header block's `name: value\n` lines.
fn block_size<'a>(headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> usize {
    headers.map(|(k, v)| k.len() + v.len() + 3).sum()
}

impl Message {
    pub fn new<'a>(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>, body: &[u8]) -> Message {
        Message::sized(0, headers, body)
    }

    /// `new` with the header block's size known up front, so it is one allocation.
    fn sized<'a>(
        size: usize,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: &[u8],
    ) -> Message {
        let kept = body.len().min(BODY_KEPT);
        Message::with_body(
            size,
            headers,
            Bytes::copy_from_slice(&body[..kept]).into(),
            kept < body.len(),
        )
    }

    fn with_body<'a>(
        size: usize,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: Payload,
        cut: bool,
    ) -> Message {
        // Bytes first, checked as UTF-8 once for the whole block: one check of a few hundred
        // ASCII bytes costs a tenth of one per header. Not UTF-8 (rare), the block is made so.
        let mut block: Vec<u8> = Vec::with_capacity(size.min(BODY_KEPT));
        let mut truncated = false;
        for (name, value) in headers {
            if block.len() + name.len() + value.len() + 3 > BODY_KEPT {
                truncated = true;
                break;
            }
            block.extend_from_slice(name.as_bytes());
            block.extend_from_slice(b": ");
            block.extend_from_slice(value);
            block.push(b'\n');
        }
        let text = match String::from_utf8(block) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Message {
            headers: text.into_boxed_str(),
            body,
            truncated: truncated || cut,
        }
    }

    fn of_headers(headers: &HeaderMap, body: &[u8]) -> Message {
        let pairs = || headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes()));
        Message::sized(block_size(pairs()), pairs(), body)
    }

    /// What the client sent.
    pub fn of_request(req: &ApiRequest) -> Message {
        Message::of_headers(&req.headers, &req.body)
    }

    /// What ccemu answered (the headers it set; hyper adds `content-length` and `date` later).
    pub fn of_reply(reply: &Reply) -> Message {
        let headers = reply
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes()));
        // Sized up front as a request's are: grown from nothing, the block was reallocated as
        // it grew and again to fit.
        let size = block_size(headers.clone());
        if reply.body.len() > BODY_KEPT {
            // Copied, so that the cut-off rest of a large answer is not kept alive with it.
            return Message::sized(size, headers, &reply.body.to_bytes());
        }
        Message::with_body(size, headers, reply.body.clone(), false)
    }

    /// The headers as (name, value) pairs, in arrival order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .lines()
            .filter_map(|line| line.split_once(": "))
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body as one buffer (shared, unless an answer's envelope is put together for it).
    pub fn body(&self) -> Bytes {
        self.body.to_bytes()
    }

    /// How many bytes this message holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.headers.len() + self.body.len()
    }
}

/// `{"headers": {name: value}, "body": "…", "truncated": bool}`: the body as text (invalid UTF-8
/// replaced), repeated header names joined with ", ".
/// The schema of [`Message`]'s hand-written serialisation, beside it.
impl schemars::JsonSchema for Message {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JournalMessage".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "required": ["headers", "body", "truncated"],
            "additionalProperties": false,
            "properties": {
                "headers": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "Lower-case names; repeated headers joined with \", \"."},
                "body": {"type": "string"},
                "truncated": {"type": "boolean"},
            },
        })
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Headers<'a>(&'a Message);
        impl Serialize for Headers<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut joined: Vec<(&str, String)> = Vec::new();
                for (k, v) in self.0.headers() {
                    match joined.iter_mut().find(|(name, _)| *name == k) {
                        Some((_, value)) => {
                            value.push_str(", ");
                            value.push_str(v);
                        }
                        None => joined.push((k, v.to_string())),
                    }
                }
                let mut map = s.serialize_map(Some(joined.len()))?;
                for (k, v) in &joined {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("headers", &Headers(self))?;
        map.serialize_entry("body", &String::from_utf8_lossy(&self.body.to_bytes()))?;
        map.serialize_entry("truncated", &self.truncated)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_block_keeps_order_and_makes_stray_bytes_text() {
        let m = Message::new(
            [
                ("host", &b"x"[..]),
                ("x-raw", &b"a\xffb"[..]),
                ("ts", &b"17"[..]),
            ],
            b"{}",
        );
        let lines: Vec<(&str, &str)> = m.headers().collect();
        assert_eq!(
            lines,
            [("host", "x"), ("x-raw", "a\u{fffd}b"), ("ts", "17")]
        );
        assert_eq!(m.header("TS"), Some("17"));
        assert!(!m.truncated);
        let long = vec![b'v'; BODY_KEPT];
        let cut = Message::new([("a", &b"1"[..]), ("b", &long[..])], b"");
        assert_eq!(cut.headers().count(), 1);
        assert!(cut.truncated);
    }
}
