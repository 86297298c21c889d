//! The request and reply every vendor handler sees: plain data, no hyper types to await on.
//!
//! The server reads the whole (size-limited) body before dispatch, so handlers are synchronous
//! functions of a complete request. That keeps every model lock out of reach of an `.await`.

use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Method, StatusCode};
use serde::Serialize;
use std::borrow::Cow;
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub remote: SocketAddr,
}

impl ApiRequest {
    /// A test or internal request with no body from loopback.
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        ApiRequest {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            remote: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }

    /// The first value of a query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        query_pairs(&self.query)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// A header's value as text; header names are case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The Host header without its port, lower-cased.
    pub fn host(&self) -> Option<String> {
        self.host_as_sent().map(str::to_ascii_lowercase)
    }

    /// `host` as the client wrote it (any case), borrowed: for a comparison that ignores case
    /// and need not allocate.
    pub fn host_as_sent(&self) -> Option<&str> {
        let h = self.headers.get(hyper::header::HOST)?.to_str().ok()?;
        // Bytes, not chars: `to_str` accepted visible ASCII only. (NXCloud reads the host on
        // every request for its region, and str's reverse char search cost more than that.)
        Some(match memchr::memrchr(b':', h.as_bytes()) {
            Some(at) if h.as_bytes()[at + 1..].iter().all(u8::is_ascii_digit) => &h[..at],
            _ => h,
        })
    }
}

/// A query string's `(name, value)` pairs, decoded exactly as `form_urlencoded::parse` decodes
/// them. A pair with no `%` and no `+` decodes to itself, so it is handed out borrowed; only the
/// others go through the decoder. Signed requests carry four to nine plain pairs, and decoding
/// each was more of a Udesk read's CPU than its SHA1.
pub fn query_pairs(query: &str) -> QueryPairs<'_> {
    QueryPairs { rest: query }
}

/// See [`query_pairs`]: one pass over each pair finds its end, its `=` and whether it is encoded.
pub struct QueryPairs<'a> {
    rest: &'a str,
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            // A pair is a few dozen bytes: one walk over it costs less than starting memchr's
            // three searches (`&`, then `%`/`+`, then `=`), which were a Udesk read's largest
            // item after its SHA1.
            let bytes = self.rest.as_bytes();
            let (mut end, mut eq, mut encoded) = (bytes.len(), None, false);
            for (i, b) in bytes.iter().enumerate() {
                match b {
                    b'&' => {
                        end = i;
                        break;
                    }
                    b'=' if eq.is_none() => eq = Some(i),
                    b'%' | b'+' => encoded = true,
                    _ => {}
                }
            }
            // Every cut is at an ASCII byte, so on a char boundary.
            let piece = &self.rest[..end];
            self.rest = self.rest.get(end + 1..).unwrap_or("");
            if piece.is_empty() {
                continue;
            }
            if encoded {
                return form_urlencoded::parse(piece.as_bytes()).next();
            }
            let (name, value) = match eq {
                Some(at) => (&piece[..at], &piece[at + 1..]),
                None => (piece, ""),
            };
            return Some((Cow::Borrowed(name), Cow::Borrowed(value)));
        }
        None
    }
}

/// What the journal and fault engine learn about a reply besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplyMeta {
    /// The endpoint's documented name, e.g. "createAgent".
    pub operation: Option<&'static str>,
    /// The tenant the request was authenticated as.
    pub tenant: Option<String>,
    /// The vendor's own result code (Udesk ErrCode, NXCloud code, Huawei error_code).
    pub code: Option<String>,
}

/// The content type of every JSON answer.
pub const JSON_UTF8: &str = "application/json;charset=utf-8";

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Payload,
    pub meta: ReplyMeta,
}

/// An answer's bytes: one buffer, or a vendor's envelope written around a page that is shared
/// with `read_cache` rather than copied into it. A kept 100-item page is 10–30 KB; copying it
/// into a fresh envelope on every poll was the largest single cost of a big read (6 % of the
/// CPU under load, more in cache misses: the journal holds the last thousand copies), and the
/// three parts go out in one `writev` all the same.
#[derive(Debug, Clone, Default)]
pub struct Payload {
    head: Bytes,
    page: Bytes,
    tail: Bytes,
}

impl Payload {
    /// `head`, `page` and `tail` sent one after the other as one body.
    pub fn framed(head: Bytes, page: Bytes, tail: Bytes) -> Payload {
        Payload { head, page, tail }
    }

    pub fn len(&self) -> usize {
        self.head.len() + self.page.len() + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body as one buffer: shared when it is one already, else copied together (for the
    /// rare reader that needs it whole: the journal's reader, a fault that cuts it, a test).
    pub fn to_bytes(&self) -> Bytes {
        if self.page.is_empty() && self.tail.is_empty() {
            return self.head.clone();
        }
        let mut whole = Vec::with_capacity(self.len());
        for part in self.parts() {
            whole.extend_from_slice(part);
        }
        whole.into()
    }

    /// The non-empty parts, in order.
    pub fn parts(&self) -> impl Iterator<Item = &Bytes> {
        [&self.head, &self.page, &self.tail]
            .into_iter()
            .filter(|p| !p.is_empty())
    }
}

macro_rules! one_buffer {
    ($($t:ty),*) => {$(
        impl From<$t> for Payload {
            fn from(body: $t) -> Payload {
                Payload {
                    head: body.into(),
                    ..Payload::default()
                }
            }
        }
    )*};
}
one_buffer!(Bytes, Vec<u8>, String, &'static str, &'static [u8]);

/// Sent whole as one frame that is itself the buffer (`Buf`): hyper queues its parts behind the
/// head and writes them with one `writev` (`chunks_vectored`), and takes the exact length for
/// `content-length`. One frame rather than one per part: each frame is another turn of hyper's
/// write loop (a framed small answer cost about 350 instructions more than a flat one).
impl hyper::body::Body for Payload {
    type Data = Payload;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Payload>, Self::Error>>> {
        let whole = std::mem::take(&mut *self);
        std::task::Poll::Ready((!whole.is_empty()).then(|| Ok(hyper::body::Frame::data(whole))))
    }

    fn is_end_stream(&self) -> bool {
        self.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.len() as u64)
    }
}

impl hyper::body::Buf for Payload {
    fn remaining(&self) -> usize {
        self.len()
    }

    fn chunk(&self) -> &[u8] {
        self.parts().next().map_or(&[], |p| &p[..])
    }

    fn advance(&mut self, mut cnt: usize) {
        assert!(cnt <= self.len(), "advanced past the end of a payload");
        for part in [&mut self.head, &mut self.page, &mut self.tail] {
            let n = cnt.min(part.len());
            hyper::body::Buf::advance(part, n);
            cnt -= n;
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [std::io::IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, part) in dst.iter_mut().zip(self.parts()) {
            *slot = std::io::IoSlice::new(part);
            n += 1;
        }
        n
    }
}

/// The two JSON spellings the faces answer with (Huawei's and NXCloud's gateways say `UTF-8`),
/// checked once at compile time: `HeaderValue::from_static` called at run time walks its string
/// on every reply.
static JSON_LOWER: HeaderValue = HeaderValue::from_static(JSON_UTF8);
static JSON_UPPER: HeaderValue = HeaderValue::from_static(JSON_UTF8_UPPER);

/// The spelling of the JSON content type that Huawei's and NXCloud's gateways send.
pub const JSON_UTF8_UPPER: &str = "application/json;charset=UTF-8";

fn content_type_value(content_type: &'static str) -> HeaderValue {
    match content_type {
        JSON_UTF8 => JSON_LOWER.clone(),
        JSON_UTF8_UPPER => JSON_UPPER.clone(),
        other => HeaderValue::from_static(other),
    }
}

impl Reply {
    /// A JSON reply. Serialising a `serde_json::Value` or a derived struct cannot fail; should it,
    /// the reply is a 500 rather than a panic.
    pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply::raw(status, JSON_UTF8, body),
            Err(e) => Reply::raw(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                format!("serialisation failed: {e}"),
            ),
        }
    }

    pub fn raw(status: StatusCode, content_type: &'static str, body: impl Into<Payload>) -> Reply {
        Reply {
            status,
            headers: vec![(CONTENT_TYPE, content_type_value(content_type))],
            body: body.into(),
            meta: ReplyMeta::default(),
        }
    }

    pub fn with_operation(mut self, op: &'static str) -> Reply {
        self.meta.operation = Some(op);
        self
    }

    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Reply {
        self.meta.tenant = Some(tenant.into());
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Reply {
        self.meta.code = Some(code.into());
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// The body as JSON, for tests and the journal.
    pub fn json_body(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body.to_bytes()).ok()
    }
}

/// Why the server core refused a request before any vendor handler ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// No route for this path under the vendor's prefix.
    NotFound,
    /// The path exists but not for this method.
    MethodNotAllowed,
    /// The body exceeds the configured limit.
    BodyTooLarge,
    /// The body could not be read (client went away, bad chunking).
    BodyUnreadable,
}

#[cfg(test)]
mod tests {
    use super::{query_pairs, Payload};
    use http_body_util::BodyExt;
    use hyper::body::{Body, Buf, Bytes};
    use proptest::prelude::*;

    #[tokio::test]
    async fn a_framed_payload_is_sent_as_its_parts_in_order() {
        let framed = Payload::framed(
            Bytes::from_static(b"{\"data\":"),
            Bytes::from_static(b"[1,2]"),
            Bytes::from_static(b"}"),
        );
        assert_eq!(framed.len(), 14);
        assert_eq!(framed.size_hint().exact(), Some(14), "content-length");
        assert_eq!(framed.to_bytes(), &b"{\"data\":[1,2]}"[..]);
        let sent = framed.clone().collect().await.unwrap().to_bytes();
        assert_eq!(sent, framed.to_bytes());
        // One frame, whose buffer hands its parts to `writev` as they are; an empty part is
        // left out.
        let mut frames = Vec::new();
        let mut body = std::pin::pin!(framed.clone());
        while let Some(frame) = body.frame().await {
            frames.push(frame.unwrap().into_data().unwrap());
        }
        assert_eq!(frames.len(), 1);
        assert!(body.is_end_stream());
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        assert_eq!(frames[0].chunks_vectored(&mut slices), 3);
        assert_eq!(&*slices[1], b"[1,2]");
        let gap = Payload::framed(
            Bytes::from_static(b"x"),
            Bytes::new(),
            Bytes::from_static(b"y"),
        );
        assert_eq!(gap.chunks_vectored(&mut slices), 2);
        assert_eq!(
            gap.chunks_vectored(&mut slices[..1]),
            1,
            "no more than there is room for"
        );
        assert!(Payload::default().is_end_stream());
        let mut none = std::pin::pin!(Payload::default());
        assert!(none.frame().await.is_none());
    }

    proptest! {
        /// Read as a buffer (what hyper's writer does with it), a payload is its bytes in order,
        /// wherever the reads stop.
        #[test]
        fn a_payload_reads_as_its_bytes(
            parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..5), 3),
            steps in proptest::collection::vec(0usize..7, 0..8),
        ) {
            let whole: Vec<u8> = parts.concat();
            let mut p = Payload::framed(
                Bytes::from(parts[0].clone()),
                Bytes::from(parts[1].clone()),
                Bytes::from(parts[2].clone()),
            );
            let mut at = 0;
            for step in steps {
                let step = step.min(p.remaining());
                p.advance(step);
                at += step;
                prop_assert_eq!(p.remaining(), whole.len() - at);
                prop_assert!(whole[at..].starts_with(p.chunk()));
                prop_assert_eq!(p.chunk().is_empty(), at == whole.len());
                prop_assert_eq!(&p.to_bytes()[..], &whole[at..]);
            }
        }
    }

    fn decoded(query: &str) -> Vec<(String, String)> {
        query_pairs(query)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn reference(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn plain_pairs_are_borrowed_and_encoded_ones_decoded() {
        let q = "AppId=a&Sign=b%20c&x=1+2&&flag&=v&k=";
        assert_eq!(decoded(q), reference(q));
        assert!(query_pairs("Sid=s&Timestamp=1").all(|(k, v)| matches!(
            (k, v),
            (std::borrow::Cow::Borrowed(_), std::borrow::Cow::Borrowed(_))
        )));
    }

    #[test]
    fn the_host_loses_a_numeric_port_only() {
        let host = |h: &str| {
            let mut req = super::ApiRequest::new(hyper::Method::GET, "/");
            req.headers.insert(hyper::header::HOST, h.parse().unwrap());
            req.host_as_sent().map(str::to_owned)
        };
        assert_eq!(
            host("Api2.NXCloud.com:443").as_deref(),
            Some("Api2.NXCloud.com")
        );
        assert_eq!(
            host("api2.nxcloud.com").as_deref(),
            Some("api2.nxcloud.com")
        );
        assert_eq!(host("[::1]:8080").as_deref(), Some("[::1]"));
        assert_eq!(host("[::1]").as_deref(), Some("[::1]"));
        assert_eq!(host("h:").as_deref(), Some("h"));
        assert_eq!(host("h:x1").as_deref(), Some("h:x1"));
    }

    proptest! {
        #[test]
        fn same_pairs_as_form_urlencoded(q in "[a-zA-Z0-9&=%+é_.~-]{0,40}") {
            prop_assert_eq!(decoded(&q), reference(&q));
        }
    }
}
