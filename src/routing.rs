//! Routing tables as data: each vendor lists its documented endpoints as `Route`s, and `find`
//! picks one by method and path. `{name}` in a pattern matches one path segment.

use hyper::Method;

pub struct Route<H> {
    pub method: Method,
    pub pattern: &'static str,
    /// The endpoint's documented name (journal, fault matching).
    pub operation: &'static str,
    pub handler: H,
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

fn match_pattern(pattern: &'static str, path: &str) -> Option<Params> {
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

pub fn find<'a, H>(routes: &'a [Route<H>], method: &Method, path: &str) -> Match<'a, H> {
    let mut path_known = false;
    for route in routes {
        if let Some(params) = match_pattern(route.pattern, path) {
            if route.method == method {
                return Match::Found(route, params);
            }
            path_known = true;
        }
    }
    if path_known {
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

    fn table() -> Vec<Route<u8>> {
        vec![
            Route {
                method: Method::GET,
                pattern: "/v2/agents",
                operation: "list",
                handler: 1,
            },
            Route {
                method: Method::GET,
                pattern: "/v2/agents/{id}",
                operation: "get",
                handler: 2,
            },
            Route {
                method: Method::PUT,
                pattern: "/v2/agents/{id}",
                operation: "put",
                handler: 3,
            },
            Route {
                method: Method::POST,
                pattern: "/v2/agents/extensions",
                operation: "bind",
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
}
