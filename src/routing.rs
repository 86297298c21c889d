//! Routing tables as data: each vendor lists its documented endpoints as `Route`s, and `find`
//! picks one by method and path. `{name}` in a pattern matches one path segment.

use hyper::Method;

pub struct Route<H> {
    pub method: Method,
    pub pattern: &'static str,
    /// The endpoint's documented name (journal, fault matching).
    pub operation: &'static str,
    /// The vendor document (and section) the endpoint comes from, for `ccemu routes`.
    pub doc: &'static str,
    /// The route's contract: request fields, answer envelope, documented error codes.
    pub contract: &'static crate::op::Op,
    /// Where the pattern's first `{name}` starts (its length when it has none), worked out at
    /// compile time by [`head`]: every request compares its path with each route of its method
    /// until one matches, so a literal pattern is then one comparison of bytes and a
    /// parameterised one a comparison of its literal head before any segment is cut.
    pub head: usize,
    pub handler: H,
}

/// Where `pattern`'s first `{` is, or its length: a [`Route`]'s `head`.
pub const fn head(pattern: &str) -> usize {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] != b'{' {
        i += 1;
    }
    i
}

/// A route without its handler: what `GET /_ccemu/routes` and `ccemu routes` list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Described {
    pub method: &'static str,
    pub path: &'static str,
    pub operation: &'static str,
    pub doc: &'static str,
    pub contract: &'static crate::op::Op,
}

/// A routing table described, in table order.
pub fn describe<H>(routes: &[Route<H>]) -> impl Iterator<Item = Described> + '_ {
    routes.iter().map(|r| Described {
        method: method_str(&r.method),
        path: r.pattern,
        operation: r.operation,
        doc: r.doc,
        contract: r.contract,
    })
}

/// A `'static` name for the methods route tables use.
fn method_str(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

/// Edit distance between two byte strings (insert, delete, substitute: 1 each).
fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The route nearest to `method path`: the smallest edit distance from the path to the pattern
/// (a `{param}` segment counts as the request's own segment there), a different method costing
/// as much as one and a half edits (so `POST /agents/extension` finds the POST route one letter
/// away rather than the GET `/agents/{id}` its last segment fills). Only asked on a 404, so its
/// cost is off the hot path.
pub fn nearest<'a, H>(routes: &'a [Route<H>], method: &Method, path: &str) -> Option<&'a Route<H>> {
    let path = path.trim_end_matches('/');
    routes.iter().min_by_key(|r| {
        // Put the request's segment where the pattern has a parameter, so `/agents/7`
        // is at distance 0 from `/agents/{id}`.
        let segs: Vec<&str> = path.split('/').collect();
        let filled: Vec<&str> = r
            .pattern
            .split('/')
            .enumerate()
            .map(|(i, p)| {
                if p.starts_with('{') {
                    segs.get(i).copied().unwrap_or(p)
                } else {
                    p
                }
            })
            .collect();
        let d = edit_distance(path.as_bytes(), filled.join("/").as_bytes());
        d * 2 + 3 * usize::from(r.method != method)
    })
}

/// What a 404 under a vendor's prefix says: the nearest documented route.
pub fn not_found_hint<H>(routes: &[Route<H>], method: &Method, path: &str) -> String {
    match nearest(routes, method, path) {
        Some(r) => format!(
            "no endpoint {method} {path}; the nearest documented route is {} {} ({}); GET /_ccemu/routes lists them all",
            r.method, r.pattern, r.operation
        ),
        None => format!("no endpoint {method} {path}"),
    }
}

/// What a 405 says: the methods the path does take.
pub fn method_hint<H>(routes: &[Route<H>], method: &Method, path: &str) -> String {
    let allowed: Vec<String> = routes
        .iter()
        .filter(|r| r.matches(path).is_some())
        .map(|r| format!("{} ({})", r.method, r.operation))
        .collect();
    format!(
        "{method} is not allowed on {path}; it takes {}",
        allowed.join(", ")
    )
}

/// The methods `path` takes, as an `Allow` header lists them (RFC 9110 asks for it on a 405):
/// those of its most literal pattern, so that `/agents/extensions` is not said to take the
/// methods of `/agents/{id}`, as its OpenAPI path item does not.
pub fn allowed<H>(routes: &[Route<H>], path: &str) -> String {
    let matching: Vec<(&Route<H>, usize)> = routes
        .iter()
        .filter_map(|r| r.matches(path).map(|p| (r, p.0.len())))
        .collect();
    let fewest = matching.iter().map(|(_, n)| *n).min().unwrap_or(0);
    let mut methods: Vec<&str> = Vec::new();
    for (r, _) in matching.iter().filter(|(_, n)| *n == fewest) {
        let m = method_str(&r.method);
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    methods.join(", ")
}

/// Path parameters captured by `{name}` segments, in pattern order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub enum Match<'a, H> {
    Found(&'a Route<H>, Params),
    /// Some route has this path, none this method.
    MethodNotAllowed,
    NotFound,
}

impl<H> Route<H> {
    /// The path parameters when `path` is this route's pattern, by its `head` known up front.
    fn matches(&self, path: &str) -> Option<Params> {
        match_head(self.pattern, self.head, path)
    }
}

/// `path` against `pattern`, whose `head` is known: a literal pattern is the path or not (up to
/// trailing slashes); a parameterised one needs its literal head, and only then is walked
/// segment by segment. The trailing slashes are trimmed byte by byte and the segments cut at
/// slashes found with memchr: `str`'s own `trim_end_matches` and `split` with a `char` go
/// through its pattern searcher, which with a scan for `{` per route made a Udesk route match
/// 2,300 instructions a request (callgrind); this takes 300 to 1,200 by face and route.
fn match_head(pattern: &'static str, head: usize, path: &str) -> Option<Params> {
    if head == pattern.len() {
        return (trim_slashes(pattern) == trim_slashes(path)).then(|| Params(Vec::new()));
    }
    let lead = &pattern.as_bytes()[..head];
    if !path.as_bytes().starts_with(lead) {
        return None;
    }
    // The head's whole segments are the path's too (and hold no `{name}`): the walk starts at
    // the head's last `/`, in both.
    let cut = lead.iter().rposition(|&b| b == b'/').unwrap_or(0);
    segments(&pattern[cut..], &path[cut..])
}

/// `s` without its trailing slashes.
fn trim_slashes(s: &str) -> &str {
    let end = s.bytes().rposition(|b| b != b'/').map_or(0, |i| i + 1);
    &s[..end]
}

/// What `str::split('/')` gives (each cut is at an ASCII `/`, so on a char boundary).
struct Segments<'a>(Option<&'a str>);

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.0?;
        match memchr::memchr(b'/', s.as_bytes()) {
            Some(i) => {
                self.0 = Some(&s[i + 1..]);
                Some(&s[..i])
            }
            None => {
                self.0 = None;
                Some(s)
            }
        }
    }
}

/// The pattern matched segment by segment: a `{name}` segment takes any non-empty segment,
/// any other must be equal; trailing slashes do not count.
fn segments(pattern: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pat = Segments(Some(trim_slashes(pattern)));
    let mut segs = Segments(Some(trim_slashes(path)));
    loop {
        match (pat.next(), segs.next()) {
            (None, None) => return Some(Params(params)),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    params.push((name, s.to_string()));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

pub fn find<'a, H>(routes: &'a [Route<H>], method: &Method, path: &str) -> Match<'a, H> {
    // The request's own method first: the first route in table order with this method and a
    // matching pattern wins, as it always did; the others are only walked to tell 405 from 404.
    for route in routes.iter().filter(|r| r.method == method) {
        if let Some(params) = route.matches(path) {
            return Match::Found(route, params);
        }
    }
    if routes
        .iter()
        .any(|r| r.method != method && r.matches(path).is_some())
    {
        Match::MethodNotAllowed
    } else {
        Match::NotFound
    }
}

/// The documented operation name of the route `method` and `path` reach, if any.
pub fn operation<H>(routes: &[Route<H>], method: &Method, path: &str) -> Option<&'static str> {
    match find(routes, method, path) {
        Match::Found(route, _) => Some(route.operation),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A pattern matched with its head worked out on the spot, as a route's is at compile time.
    fn match_pattern(pattern: &'static str, path: &str) -> Option<Params> {
        match_head(pattern, head(pattern), path)
    }

    proptest! {
        #[test]
        fn the_quick_look_answers_as_the_segments_do(
            pattern in "(/(ab|a|b|\\{id\\}|a\\{id\\}))*/{0,2}",
            path in "(/(ab|a|b|x|é|\\{)?)*/{0,2}",
        ) {
            let pattern: &'static str = Box::leak(pattern.into_boxed_str());
            prop_assert_eq!(match_pattern(pattern, &path), split(pattern, &path));
        }
    }

    #[test]
    fn a_head_ends_at_the_first_parameter() {
        assert_eq!(head("/v2/agents"), "/v2/agents".len());
        assert_eq!(head("/v2/agents/{id}"), "/v2/agents/".len());
        assert_eq!(head("/v2/{a}/x/{b}"), "/v2/".len());
        assert_eq!(head(""), 0);
    }

    /// The reference: `str`'s own trim and split, segment by segment, as routing was first
    /// written.
    fn split(pattern: &'static str, path: &str) -> Option<Params> {
        let mut params = Vec::new();
        let mut pat = pattern.trim_end_matches('/').split('/');
        let mut segs = path.trim_end_matches('/').split('/');
        loop {
            match (pat.next(), segs.next()) {
                (None, None) => return Some(Params(params)),
                (Some(p), Some(s)) => {
                    if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                        if s.is_empty() {
                            return None;
                        }
                        params.push((name, s.to_string()));
                    } else if p != s {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    }

    static TEST_OP: crate::op::Op = crate::op::Op {
        auth: crate::op::Auth::Bearer,
        request: &[],
        has_body: false,
        envelope: "",
        answer: &[],
        errors: &[],
        example: None,
    };

    fn table() -> Vec<Route<u8>> {
        vec![
            Route {
                method: Method::GET,
                pattern: "/v2/agents",
                operation: "list",
                doc: "",
                contract: &TEST_OP,
                head: head("/v2/agents"),
                handler: 1,
            },
            Route {
                method: Method::GET,
                pattern: "/v2/agents/{id}",
                operation: "get",
                doc: "",
                contract: &TEST_OP,
                head: head("/v2/agents/{id}"),
                handler: 2,
            },
            Route {
                method: Method::PUT,
                pattern: "/v2/agents/{id}",
                operation: "put",
                doc: "",
                contract: &TEST_OP,
                head: head("/v2/agents/{id}"),
                handler: 3,
            },
            Route {
                method: Method::POST,
                pattern: "/v2/agents/extensions",
                operation: "bind",
                doc: "",
                contract: &TEST_OP,
                head: head("/v2/agents/extensions"),
                handler: 4,
            },
        ]
    }

    #[test]
    fn literal_segments_win_in_table_order_and_params_are_captured() {
        let t = table();
        match find(&t, &Method::GET, "/v2/agents/355") {
            Match::Found(r, p) => {
                assert_eq!(r.handler, 2);
                assert_eq!(p.get("id"), Some("355"));
            }
            _ => panic!("no match"),
        }
        assert!(
            matches!(find(&t, &Method::POST, "/v2/agents/extensions"), Match::Found(r, _) if r.handler == 4)
        );
        assert!(matches!(
            find(&t, &Method::DELETE, "/v2/agents/1"),
            Match::MethodNotAllowed
        ));
        assert!(matches!(
            find(&t, &Method::GET, "/v2/nothing"),
            Match::NotFound
        ));
        assert!(
            matches!(find(&t, &Method::GET, "/v2/agents/"), Match::Found(r, _) if r.handler == 1)
        );
    }

    /// The matcher before its byte shortcuts: segments compared one by one.
    fn split_match(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
        let mut params = Vec::new();
        let mut pat = pattern.trim_end_matches('/').split('/');
        let mut segs = path.trim_end_matches('/').split('/');
        loop {
            match (pat.next(), segs.next()) {
                (None, None) => return Some(params),
                (Some(p), Some(s)) => {
                    if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                        if s.is_empty() {
                            return None;
                        }
                        params.push((name, s.to_string()));
                    } else if p != s {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    }

    #[test]
    fn the_shortcuts_answer_what_the_segment_walk_answers() {
        let patterns = [
            "/v2/agents",
            "/v2/agents/",
            "/v2/agents/{id}",
            "/v2/agents/{id}/queues",
            "/v2/{a}/{b}",
            "/",
            "",
        ];
        let segs = ["", "v2", "agents", "355", "queues", "x"];
        let mut paths = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = paths
                .iter()
                .flat_map(|p| segs.iter().map(move |s| format!("{p}/{s}")))
                .collect();
            paths.extend(longer);
        }
        for pattern in patterns {
            for path in &paths {
                for path in [path.clone(), format!("{path}/")] {
                    let fast = match_pattern(pattern, &path).map(|p| p.0);
                    assert_eq!(
                        fast,
                        split_match(pattern, &path),
                        "{pattern} against {path:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_nearest_route_fills_parameters_and_prefers_the_method() {
        let t = table();
        let op = |m: Method, p: &str| nearest(&t, &m, p).map(|r| r.operation);
        assert_eq!(op(Method::GET, "/v2/agent"), Some("list"));
        assert_eq!(op(Method::PUT, "/v2/agentz/355"), Some("put"));
        assert_eq!(op(Method::POST, "/v2/agents/extension"), Some("bind"));
        assert!(not_found_hint(&t, &Method::GET, "/v2/agent").contains("GET /v2/agents (list)"));
        assert_eq!(
            method_hint(&t, &Method::DELETE, "/v2/agents/1"),
            "DELETE is not allowed on /v2/agents/1; it takes GET (get), PUT (put)"
        );
    }
}
