//! What every route refuses whatever the mode: a request body that its own OpenAPI document
//! (`contract::openapi`) says is invalid. Strict mode reports what the vendor lets pass; this is what the
//! vendor does not let pass, checked once here from the routing table's field specs rather than
//! handler by handler, so that a handler's serde type cannot be laxer than the document.
//!
//! Checked: a body that is not a JSON object where the document shows one, a documented member
//! (at any depth) of another JSON type than documented, and a required string sent empty (`""`),
//! which is refused as missing. An empty list is left to the handlers (NXCloud's may be empty,
//! Udesk's IsFull replacement refuses an empty one in its own way). Not checked:
//! absent required members (each handler names the missing one with its vendor's "required"
//! code) and unknown members (the vendors ignore them; strict mode reports them). Malformed JSON
//! is refused too, as the vendors' gateways do whether or not the route reads a body.
//!
//! `null` for a member is the same as the member being absent, on every route of every vendor
//! (the Java gateways behind the vendors read it so): it fits any type here, and the handlers
//! drop null members before reading a body (`strip_nulls`). A `null` inside a list is a value
//! of the wrong type.
//!
//! The walk decodes the body without building a tree (it runs on every write request), like
//! `vendors::json::check`, guided by the field specs.

use crate::model::Vendor;
use crate::op::{Field, In, Op, Ty};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;

/// A value that does not fit its documented type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: `body`, a member `Name`, or a nested `Outer.Inner` / `List[2].Name`.
    pub at: String,
    pub expected: &'static str,
    pub got: &'static str,
    /// A required string sent empty: refused as missing, with the vendor's code for
    /// a missing parameter.
    pub missing: bool,
    /// Not JSON at all: the parser's reason.
    pub malformed: Option<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if let Some(why) = &self.malformed {
            write!(f, "request body is not valid JSON: {why}")
        } else if self.missing {
            write!(f, "{} is required (sent {})", self.at, self.got)
        } else if self.at == "body" {
            write!(
                f,
                "the request body must be a JSON {}, not {}",
                self.expected, self.got
            )
        } else {
            write!(
                f,
                "{} is documented as {}, sent as {}",
                self.at, self.expected, self.got
            )
        }
    }
}

/// The body of a request to a route with contract `op`, checked against its documented body
/// fields. A blank body, a body on a route that documents none, and malformed JSON pass (see the
/// module comment).
pub fn body(vendor: Vendor, op: &Op, bytes: &[u8]) -> Result<(), Violation> {
    body_holding_null(vendor, op, bytes).map(|_| ())
}

/// `body`, telling too whether the body holds a `null` value anywhere: a handler that reads its
/// parameters a quick way where there is none (Huawei's listings) learns it from this walk
/// instead of searching the bytes again.
pub fn body_holding_null(vendor: Vendor, op: &Op, bytes: &[u8]) -> Result<bool, Violation> {
    if !op.has_body || bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (found, parsed, nulls) = walk(vendor, op, &mut de);
    match (found, parsed.and_then(|()| de.end())) {
        (Some(v), _) => Err(v),
        (None, Ok(())) => Ok(nulls),
        // Refused here too, so that a route whose handler never reads its body refuses it.
        (None, Err(e)) => Err(Violation {
            at: "body".into(),
            expected: "object",
            got: "malformed JSON",
            missing: false,
            malformed: Some(e.to_string()),
        }),
    }
}

/// The same check on a body object its handler has already read into its members (NXCloud's
/// are), so that the bytes are walked once for both: the check costs a tenth of what reading them
/// again did. Where a name is repeated, only the value the handler reads (the last) is checked.
pub fn members<N: AsRef<str>>(
    vendor: Vendor,
    op: &Op,
    members: &[(N, Value)],
) -> Result<(), Violation> {
    if !op.has_body {
        return Ok(());
    }
    // Names handed out borrowed (a `&str`'s own deserializer hands out a copy).
    let de = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(members.iter().map(
        |(name, value)| {
            (
                serde::de::value::BorrowedStrDeserializer::new(name.as_ref()),
                value,
            )
        },
    ));
    // A walk of values already read fails only where it found a violation.
    walk(vendor, op, de).0.map_or(Ok(()), Err)
}

/// Walks a body (bytes or values) with the route's documented body fields: the first violation
/// found, the deserializer's own outcome, and whether a `null` was met on the way.
fn walk<'de, D: Deserializer<'de>>(
    vendor: Vendor,
    op: &Op,
    d: D,
) -> (Option<Violation>, Result<(), D::Error>, bool) {
    let found = RefCell::new(None);
    let nulls = Cell::new(false);
    // The whole table: the fields documented elsewhere (headers, query) are passed over where a
    // member is looked up, so no list of the body's own is made per request.
    let seed = Expect {
        vendor,
        ty: Ty::Object,
        items: op.request,
        member: false,
        required: false,
        top: true,
        found: &found,
        nulls: &nulls,
    };
    let parsed = seed.deserialize(d);
    (found.into_inner(), parsed, nulls.get())
}

/// A member's name, borrowed from the body unless it had to be unescaped: names are read on
/// every request with a body, and serde's own `Cow` always copies.
pub struct Name<'de>(pub Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name<'de>, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(Text)
    }
}

/// Every member that is `null` removed from every object (lists keep theirs): what a handler
/// reads, so that `null` means absent to every serde type alike.
pub fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// One value expected to be of type `ty`.
#[derive(Clone, Copy)]
struct Expect<'a> {
    vendor: Vendor,
    ty: Ty,
    /// The members of an object, or of each object of a list.
    items: &'a [Field],
    /// A member of an object (where `null` means absent) rather than a list item or the body.
    member: bool,
    /// A required member: empty is missing (module comment).
    required: bool,
    /// The body itself (where Huawei's `requestParam(s)` wrapper may hold the fields).
    top: bool,
    found: &'a RefCell<Option<Violation>>,
    /// Set where a `null` is met, wherever it is.
    nulls: &'a Cell<bool>,
}

impl<'a> Expect<'a> {
    fn child(self, ty: Ty, items: &'a [Field], member: bool) -> Expect<'a> {
        Expect {
            ty,
            items,
            member,
            required: false,
            top: false,
            ..self
        }
    }

    /// Records a required member sent empty and stops the walk.
    fn empty<E: serde::de::Error>(&self, got: &'static str) -> Result<(), E> {
        *self.found.borrow_mut() = Some(Violation {
            at: String::new(),
            expected: self.ty.name(),
            got,
            missing: true,
            malformed: None,
        });
        Err(E::custom("does not fit the contract"))
    }

    /// Records the violation here and stops the walk.
    fn wrong<E: serde::de::Error>(&self, got: &'static str) -> Result<(), E> {
        let expected = match (self.ty, self.vendor) {
            (Ty::Integer, Vendor::Nxcloud) => "integer (or a string of digits)",
            (Ty::TimestampMs, _) => "a string of digits (Unix milliseconds)",
            (ty, _) => ty.name(),
        };
        *self.found.borrow_mut() = Some(Violation {
            at: if self.top {
                "body".into()
            } else {
                String::new()
            },
            expected,
            got,
            missing: false,
            malformed: None,
        });
        Err(E::custom("does not fit the contract"))
    }

    fn digits(s: &str) -> bool {
        let d = s.strip_prefix('-').unwrap_or(s);
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
    }
}

/// Prefixes the violation found below with `name` (`Outer.Inner`, `List[2]`).
fn within(found: &RefCell<Option<Violation>>, name: &str) {
    if let Some(v) = found.borrow_mut().as_mut() {
        v.at = if v.at.is_empty() {
            name.to_string()
        } else if v.at.starts_with('[') {
            format!("{name}{}", v.at)
        } else {
            format!("{name}.{}", v.at)
        };
    }
}

impl<'de> DeserializeSeed<'de> for Expect<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Expect<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.ty.name())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.nulls.set(true);
        if self.member || self.ty == Ty::Any {
            Ok(())
        } else {
            self.wrong("null")
        }
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        match self.ty {
            Ty::Boolean | Ty::Flag | Ty::Any => Ok(()),
            _ => self.wrong("boolean"),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        match self.ty {
            Ty::Integer | Ty::Flag | Ty::Any => Ok(()),
            _ => self.wrong("integer"),
        }
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        match self.ty {
            // Beyond i64 no handler can read it.
            Ty::Integer | Ty::Flag if i64::try_from(v).is_err() => {
                self.wrong("an out-of-range integer")
            }
            Ty::Integer | Ty::Flag | Ty::Any => Ok(()),
            _ => self.wrong("integer"),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        match self.ty {
            Ty::Any => Ok(()),
            _ => self.wrong("number"),
        }
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        match self.ty {
            Ty::String if self.required && s.is_empty() => self.empty("\"\""),
            Ty::String | Ty::Any => Ok(()),
            // NXCloud reads integers from strings of digits (its own example sends them so).
            Ty::Integer if self.vendor == Vendor::Nxcloud && Self::digits(s) => Ok(()),
            Ty::TimestampMs if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => Ok(()),
            _ => self.wrong("string"),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let item = match self.ty {
            Ty::StringList => self.child(Ty::String, &[], false),
            Ty::ObjectList | Ty::ObjectOrList => self.child(Ty::Object, self.items, false),
            Ty::Any => self.child(Ty::Any, &[], true),
            _ => return self.wrong("array"),
        };
        let mut i = 0usize;
        loop {
            match seq.next_element_seed(item) {
                Ok(Some(())) => i += 1,
                Ok(None) => return Ok(()),
                Err(e) => {
                    within(self.found, &format!("[{i}]"));
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if !matches!(self.ty, Ty::Object | Ty::ObjectOrList | Ty::Any) {
            return self.wrong("object");
        }
        while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
            let documented = self
                .items
                .iter()
                .find(|f| f.at == In::Body && f.name == name);
            let seed = match documented {
                Some(f) => Expect {
                    required: f.required,
                    ..self.child(f.ty, f.items, true)
                },
                // Huawei's listing APIs wrap their (documented, unwrapped) fields.
                None if self.top
                    && self.vendor == Vendor::Huawei
                    && matches!(&*name, "requestParam" | "requestParams") =>
                {
                    self.child(Ty::Object, self.items, true)
                }
                None => self.child(Ty::Any, &[], true),
            };
            if let Err(e) = map.next_value_seed(seed) {
                within(self.found, &name);
                return Err(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{opt, req};
    use serde_json::json;

    const INNER: &[Field] = &[
        opt(In::Body, "name", Ty::String),
        req(In::Body, "key", Ty::StringList),
    ];
    const FIELDS: &[Field] = &[
        req(In::Body, "AgentId", Ty::String),
        opt(In::Body, "Right", Ty::Integer),
        opt(In::Body, "On", Ty::Boolean),
        opt(In::Body, "Tags", Ty::StringList),
        opt(In::Body, "Subs", Ty::ObjectList).with(INNER),
        opt(In::Body, "Inner", Ty::Object).with(INNER),
        opt(In::Body, "Free", Ty::Any),
    ];
    const OP: Op = Op {
        auth: crate::op::Auth::QuerySignature,
        request: FIELDS,
        has_body: true,
        envelope: "test",
        answer: &[],
        errors: &[],
        example: None,
    };

    /// The walk of the bytes, and where the body is an object, the walk of its members read
    /// first (NXCloud's way), which must answer the same.
    fn check(vendor: Vendor, body: &str) -> Result<(), String> {
        let walked = super::body(vendor, &OP, body.as_bytes()).map_err(|v| v.to_string());
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(body) {
            let read: Vec<(String, Value)> = m.into_iter().collect();
            let checked = super::members(vendor, &OP, &read).map_err(|v| v.to_string());
            assert_eq!(checked, walked, "{body}: members and bytes disagree");
        }
        walked
    }

    #[test]
    fn documented_types_pass_and_null_is_absent() {
        for ok in [
            r#"{"AgentId": "a", "Right": 1, "On": true, "Tags": ["x"], "Subs": [{"name": "n", "key": ["k"]}],
                "Inner": {"name": "n", "other": [1]}, "Free": [null, 1.5], "Unknown": {}}"#,
            r#"{"AgentId": null, "Right": null, "Inner": {"name": null}, "Subs": [{"key": null}], "Tags": []}"#,
            "{}",
            "  ",
        ] {
            assert_eq!(check(Vendor::Udesk, ok), Ok(()), "{ok}");
        }
        assert_eq!(check(Vendor::Nxcloud, r#"{"Right": "-12"}"#), Ok(()));
        assert_eq!(check(Vendor::Nxcloud, r#"{"Subs": [{"key": []}]}"#), Ok(()));
        assert_eq!(
            check(Vendor::Huawei, r#"{"requestParam": {"Right": 2}}"#),
            Ok(())
        );
    }

    #[test]
    fn what_the_document_says_is_invalid_is_named() {
        for (body, why) in [
            (
                r#"{"Right": {}}"#,
                "Right is documented as integer, sent as object",
            ),
            (
                r#"{"Right": "x"}"#,
                "Right is documented as integer, sent as string",
            ),
            (
                r#"{"Right": 1.5}"#,
                "Right is documented as integer, sent as number",
            ),
            (
                r#"{"Right": 18446744073709551615}"#,
                "Right is documented as integer, sent as an out-of-range integer",
            ),
            (
                r#"{"On": "true"}"#,
                "On is documented as boolean, sent as string",
            ),
            (
                r#"{"Tags": ["a", null]}"#,
                "Tags[1] is documented as string, sent as null",
            ),
            (
                r#"{"Subs": [{"name": 1}]}"#,
                "Subs[0].name is documented as string, sent as integer",
            ),
            (
                r#"{"Inner": {"name": []}}"#,
                "Inner.name is documented as string, sent as array",
            ),
            (
                r#"{"Inner": []}"#,
                "Inner is documented as object, sent as array",
            ),
            (
                "[null, null]",
                "the request body must be a JSON object, not array",
            ),
            ("null", "the request body must be a JSON object, not null"),
            (
                "\"x\"",
                "the request body must be a JSON object, not string",
            ),
            (
                "{not json",
                "request body is not valid JSON: key must be a string at line 1 column 2",
            ),
            (
                "\u{0}",
                "request body is not valid JSON: expected value at line 1 column 1",
            ),
        ] {
            assert_eq!(check(Vendor::Udesk, body), Err(why.to_string()), "{body}");
        }
        assert_eq!(
            check(Vendor::Nxcloud, r#"{"Right": "1e3"}"#),
            Err("Right is documented as integer (or a string of digits), sent as string".into())
        );
        assert_eq!(
            check(Vendor::Huawei, r#"{"requestParams": {"Right": true}}"#),
            Err("requestParams.Right is documented as integer, sent as boolean".into())
        );
    }

    #[test]
    fn nulls_are_stripped_from_objects_only() {
        let mut v = json!({"a": null, "b": {"c": null, "d": 1}, "e": [null, {"f": null}]});
        strip_nulls(&mut v);
        assert_eq!(v, json!({"b": {"d": 1}, "e": [null, {}]}));
    }
}
