//! Pictures of state machines and of what their executions did: `quickstep graph`,
//! `quickstep run --html`, and the API's page for a stored execution.
//!
//! ```
//! use quickstep_graph::{render, Execution, Format};
//! use serde_json::json;
//!
//! let definition = json!({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}});
//! let history = json!({"events": [
//!     {"type": "ExecutionStarted"},
//!     {"type": "PassStateEntered", "name": "Hello"},
//!     {"type": "PassStateExited", "name": "Hello"},
//!     {"type": "ExecutionSucceeded"}]});
//! let execution = Execution::from_history(&history).unwrap();
//! let svg = render(&definition, "hello", Some(&execution), Format::Svg).unwrap();
//! assert!(svg.contains("class=\"state pass succeeded\""));
//! ```

use std::path::Path;

use serde_json::Value;

mod dot;
pub mod execution;
pub mod layout;
mod mermaid;
pub mod model;
mod page;
mod svg;

pub use execution::{Execution, Outcome};
pub use model::Flow;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GraphError {
    /// The definition lacks what a picture needs, at a JSON pointer.
    #[error("{pointer}: {message}")]
    Definition { pointer: String, message: String },
    #[error("a picture is .svg, .html, .mmd (Mermaid) or .dot (Graphviz), chosen by the output's extension; not '{0}'")]
    Format(String),
}

/// What a picture is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Html,
    Mermaid,
    Dot,
}

impl Format {
    /// The format an output file's extension names.
    pub fn of_path(path: &Path) -> Result<Self, GraphError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match extension.as_str() {
            "svg" => Ok(Self::Svg),
            "html" | "htm" => Ok(Self::Html),
            "mmd" | "mermaid" => Ok(Self::Mermaid),
            "dot" | "gv" => Ok(Self::Dot),
            _ => Err(GraphError::Format(path.display().to_string())),
        }
    }
}

/// The picture of `definition` (and of `execution`, if given) titled `title`.
pub fn render(
    definition: &Value,
    title: &str,
    execution: Option<&Execution>,
    format: Format,
) -> Result<String, GraphError> {
    let flow = Flow::read(definition, "")?;
    Ok(match format {
        Format::Svg => svg::render(&layout::layout(&flow), execution),
        Format::Html => {
            let picture = svg::render(&layout::layout(&flow), execution);
            page::render(title, &flow, &picture, execution)
        }
        Format::Mermaid => mermaid::render(&flow, execution),
        Format::Dot => dot::render(&flow, title, execution),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example() -> (Value, Execution) {
        let definition = json!({"StartAt": "Charge", "States": {
            "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:charge",
                "Retry": [{"ErrorEquals": ["Busy"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Sorry <&>"}], "Next": "Done"},
            "Sorry <&>": {"Type": "Fail", "Error": "Declined"},
            "Done": {"Type": "Succeed"}}});
        let history = json!({"events": [
            {"id": 1, "previousEventId": 0, "type": "ExecutionStarted"},
            {"id": 2, "previousEventId": 1, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Charge", "input": "{\"n\":1}"}},
            {"id": 3, "previousEventId": 2, "type": "TaskScheduled"},
            {"id": 4, "previousEventId": 3, "type": "TaskFailed", "taskFailedEventDetails": {"error": "Busy", "cause": "</script><b>"}},
            {"id": 5, "previousEventId": 4, "type": "TaskScheduled"},
            {"id": 6, "previousEventId": 5, "type": "TaskFailed", "taskFailedEventDetails": {"error": "Card.Declined", "cause": "no"}},
            {"id": 7, "previousEventId": 6, "type": "TaskStateExited", "stateExitedEventDetails": {"name": "Charge", "output": "{}"}},
            {"id": 8, "previousEventId": 7, "type": "FailStateEntered", "stateEnteredEventDetails": {"name": "Sorry <&>", "input": "{}"}},
            {"id": 9, "previousEventId": 8, "type": "ExecutionFailed", "executionFailedEventDetails": {"error": "Declined"}}]});
        (definition, Execution::from_history(&history).unwrap())
    }

    #[test]
    fn every_format_draws_every_state_and_escapes_names() {
        let (definition, execution) = example();
        let svg = render(&definition, "pay", Some(&execution), Format::Svg).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains("class=\"state task caught\" data-state=\"Charge\""),
            "{svg}"
        );
        assert!(svg.contains("data-state=\"Sorry &lt;&amp;&gt;\""));
        assert!(svg.contains("class=\"state fail failed\""));
        assert!(svg.contains("class=\"state succeed not-reached\""));
        assert!(svg.contains("class=\"edge catch taken\""));
        assert!(svg.contains("↻1"), "one retry shown");
        let dot = render(&definition, "pay", None, Format::Dot).unwrap();
        assert!(dot.starts_with("digraph \"pay\" {") && dot.contains("label=\"Catch States.ALL\""));
        let mermaid = render(&definition, "pay", Some(&execution), Format::Mermaid).unwrap();
        assert!(mermaid.starts_with("flowchart TD") && mermaid.contains("Sorry #lt;&#gt;"));
        assert!(mermaid.contains("class s1 failed"), "{mermaid}");
    }

    #[test]
    fn the_page_holds_its_data_and_no_markup_from_the_execution() {
        let (definition, execution) = example();
        let page = render(&definition, "pay <now>", Some(&execution), Format::Html).unwrap();
        assert!(page.starts_with("<!doctype html>"));
        assert!(
            !page.contains("</script><b>"),
            "a cause cannot close the data's script element"
        );
        assert!(
            !page.contains("http://")
                || page
                    .matches("http://")
                    .all(|_| page.contains("http://www.w3.org/2000/svg"))
        );
        let data = page::data_of(&page);
        assert_eq!(
            data["states"]["Charge"]["failures"][1]["error"],
            "Card.Declined"
        );
        assert_eq!(data["states"]["Charge"]["retries"], 1);
        assert_eq!(data["states"]["Done"]["outcome"], "not-reached");
        assert!(page.contains("<title>pay &lt;now&gt; · quickstep</title>"));
        assert!(page.contains("<span class=\"status FAILED\" id=\"status\">FAILED</span>"));
    }

    #[test]
    fn the_format_comes_from_the_extension() {
        assert_eq!(Format::of_path(Path::new("a/b.SVG")), Ok(Format::Svg));
        assert_eq!(Format::of_path(Path::new("b.mmd")), Ok(Format::Mermaid));
        assert!(Format::of_path(Path::new("b.png")).is_err());
    }
}
