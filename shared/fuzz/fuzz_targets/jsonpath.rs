//! JSONPath (reference and query paths) over a document: `<path>\0<JSON document>`. Parses the
//! path as every field does, selects with it, and writes through it as `ResultPath` does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quickstep_engine::jsonpath::Path;
use quickstep_fuzz::{document, split_nul};
use serde_json::json;

fuzz_target!(init: quickstep_fuzz::report_deaths(), |data: &[u8]| {
    let (text, rest) = split_nul(data);
    let doc = document(rest);
    let Ok(path) = Path::parse(&text) else {
        let _ = Path::parse_reference(&text);
        return;
    };
    let _ = path.to_string();
    let _ = path.segments();
    let _ = path.select(&doc);
    if path.is_reference() {
        let _ = Path::parse_reference(&text);
        let _ = path.insert(doc, json!({"written": true}));
    }
});
