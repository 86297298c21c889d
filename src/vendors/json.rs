//! Whole-body JSON validation for the vendors that parse straight into typed requests.
//!
//! serde skips a field the request type does not name without decoding it: invalid UTF-8, a
//! lone surrogate escape or a number out of range inside an unknown field would pass. The real
//! gateways parse the whole document first, so a body is either valid JSON or refused. `check`
//! walks every value, decoding each string and number, without building a tree.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Whether `bytes` is one valid JSON document.
pub fn check(bytes: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Valid>(bytes).map(|_| ())
}

/// Any JSON value, fully decoded and then dropped.
struct Valid;

impl<'de> Deserialize<'de> for Valid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Valid, D::Error> {
        d.deserialize_any(ValidVisitor)
    }
}

struct ValidVisitor;

impl<'de> Visitor<'de> for ValidVisitor {
    type Value = Valid;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_str<E>(self, _: &str) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_unit<E>(self) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Valid, A::Error> {
        while seq.next_element::<Valid>()?.is_some() {}
        Ok(Valid)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Valid, A::Error> {
        // Keys are strings: decoding them as `Valid` checks their escapes and UTF-8 too.
        while map.next_key::<Valid>()?.is_some() {
            map.next_value::<Valid>()?;
        }
        Ok(Valid)
    }
}

/// The body as `T`, with `null` members read as absent (docs/contract.md). Only a body that
/// holds a `null` at all takes the detour through a tree.
pub fn read<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    if !bytes.windows(4).any(|w| w == b"null") {
        return serde_json::from_slice(bytes);
    }
    let mut v: serde_json::Value = serde_json::from_slice(bytes)?;
    crate::conform::strip_nulls(&mut v);
    serde_json::from_value(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Lenient {}

    #[test]
    fn what_serde_would_skip_is_still_refused() {
        assert!(check(br#"{"a": [1, "x", {"b": null}], "c": 1.5e3}"#).is_ok());
        for bad in [
            &b"{\"x\": \"\\ud800\"}"[..],
            b"{\"x\": 1e999}",
            b"{\"x\": \"\xff\"}",
        ] {
            let text = String::from_utf8_lossy(bad);
            assert!(
                serde_json::from_slice::<Lenient>(bad).is_ok(),
                "skipped: {text}"
            );
            assert!(check(bad).is_err(), "{text}");
        }
    }
}
