//! `quickstep graph` and `quickstep run --html`, run as a user runs them.
use crate::common;

use common::{quickstep, stdout_json, temp_file};

use serde_json::Value;

const DEFINITION: &str = "shared/cli/examples/order/order.asl.json";

fn run_example(test_case: &str, page: &str) -> Value {
    let out = quickstep(&[
        "run",
        DEFINITION,
        "--input",
        "shared/cli/examples/order/input.json",
        "--mock-config",
        "shared/cli/examples/order/mocks.json",
        "--test-case",
        test_case,
        "--clock",
        "virtual",
        "--html",
        page,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_json(&out)
}

/// The page's own data: the JSON document in its `qs-data` script element.
fn page_data(page: &str) -> Value {
    let html = std::fs::read_to_string(page).unwrap();
    let start = html.find("id=\"qs-data\">").unwrap() + "id=\"qs-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn run_writes_a_page_of_what_the_run_did() {
    let page = temp_file("declined.html", "");
    let report = run_example("Declined", &page);
    assert_eq!(report["status"], "FAILED");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<span class=\"status FAILED\" id=\"status\">FAILED</span>"));
    assert!(html.contains("class=\"state task caught\" data-state=\"Charge\""));
    assert!(html.contains("class=\"state fail failed\" data-state=\"Rejected\""));
    assert!(html.contains("class=\"state pass not-reached\" data-state=\"Accepted\""));
    let data = page_data(&page);
    assert_eq!(
        data["states"]["Charge"]["failures"][0]["error"],
        "Payments.Declined"
    );
    assert_eq!(
        data["states"]["Reserve"]["entered"], 2,
        "once per Map iteration"
    );
    // The execution's error shows on the Fail state it ended in.
    assert_eq!(
        data["states"]["Rejected"]["failures"][0]["error"],
        report["error"]
    );
}

#[test]
fn graph_draws_a_run_in_every_format_and_refuses_what_it_cannot_draw() {
    let page = temp_file("happy.html", "");
    let report = run_example("HappyPath", &page);
    let result = temp_file("happy.json", &report.to_string());
    for (extension, starts) in [
        ("svg", "<svg"),
        ("html", "<!doctype html>"),
        ("mmd", "flowchart TD"),
        ("dot", "digraph"),
    ] {
        let output = temp_file(&format!("order.{extension}"), "");
        let out = quickstep(&["graph", DEFINITION, "--execution", &result, "-o", &output]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&output).unwrap();
        assert!(
            text.starts_with(starts),
            "{extension}: {}",
            &text[..40.min(text.len())]
        );
        for state in [
            "Validate",
            "CheckStock",
            "Reserve",
            "Charge",
            "AwaitPickup",
            "Accepted",
            "Rejected",
        ] {
            assert!(text.contains(state), "{extension} lacks {state}");
        }
    }
    let svg_path = temp_file("again.svg", "");
    quickstep(&["graph", DEFINITION, "--execution", &result, "-o", &svg_path]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(
        svg.contains("class=\"state task retried\" data-state=\"Charge\""),
        "Charge failed once, then succeeded"
    );

    let png = quickstep(&["graph", DEFINITION, "-o", "order.png"]);
    assert_eq!(png.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&png.stderr).contains(".svg, .html, .mmd"));
    let headless = temp_file("headless.json", r#"{"States": {}}"#);
    let out = quickstep(&["graph", &headless, "-o", &svg_path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/StartAt: a flow needs StartAt"));
}
