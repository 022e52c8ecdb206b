//! The state machine as a Mermaid flowchart: states as nodes, Parallel and Map states as
//! subgraphs, Catchers as dotted edges, Retriers as self-loops; states coloured by the
//! execution, if one is given.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::execution::Execution;
use crate::model::{EdgeKind, Flow};

pub fn render(flow: &Flow, execution: Option<&Execution>) -> String {
    let ids = flow.node_ids();
    let mut out = String::from("flowchart TD\n  start((\" \"))\n  finish(((\" \")))\n");
    nodes(&mut out, flow, &ids, 1);
    if let Some(first) = ids.get(&flow.start_at) {
        let _ = writeln!(out, "  start --> {first}");
    }
    edges(&mut out, flow, &ids, true);
    out.push_str("  classDef succeeded fill:#e3f6e8,stroke:#2e9e4f\n  classDef retried fill:#fff9db,stroke:#b58900\n  classDef caught fill:#fff0e0,stroke:#e8710a\n  classDef failed fill:#fde7e7,stroke:#d13438,stroke-width:3px\n  classDef running fill:#e6f0ff,stroke:#1a73e8\n  classDef notreached opacity:0.5\n");
    if let Some(execution) = execution {
        for (name, id) in &ids {
            let class = execution.outcome(name).name().replace('-', "");
            let _ = writeln!(out, "  class {id} {class}");
        }
    }
    out
}

fn nodes(out: &mut String, flow: &Flow, ids: &BTreeMap<String, String>, depth: usize) {
    let pad = "  ".repeat(depth);
    for state in &flow.states {
        let id = &ids[&state.name];
        let label = format!(
            "{}<br/><small>{}</small>",
            text(&state.name),
            text(&state.kind)
        );
        if state.inner.is_empty() {
            let shape = if state.kind == "Choice" {
                ("{", "}")
            } else {
                ("[", "]")
            };
            let _ = writeln!(out, "{pad}{id}{}\"{label}\"{}", shape.0, shape.1);
            continue;
        }
        let _ = writeln!(out, "{pad}subgraph {id} [\"{label}\"]");
        let _ = writeln!(out, "{pad}  direction TB");
        for (i, inner) in state.inner.iter().enumerate() {
            let title = if state.kind == "Parallel" {
                format!("Branch {}", i + 1)
            } else {
                "Item processor".to_owned()
            };
            let _ = writeln!(out, "{pad}  subgraph {id}_{i} [\"{}\"]", text(&title));
            nodes(out, inner, ids, depth + 2);
            let _ = writeln!(out, "{pad}  end");
            edges(out, inner, ids, false);
        }
        let _ = writeln!(out, "{pad}end");
    }
}

fn edges(out: &mut String, flow: &Flow, ids: &BTreeMap<String, String>, top: bool) {
    for state in &flow.states {
        let from = &ids[&state.name];
        for edge in &state.edges {
            let Some(to) = ids.get(&edge.to) else {
                continue;
            };
            let arrow = match edge.kind {
                EdgeKind::Catch | EdgeKind::Default => "-.->",
                EdgeKind::Next | EdgeKind::Choice => "-->",
            };
            match &edge.label {
                Some(label) => {
                    let _ = writeln!(out, "  {from} {arrow}|\"{}\"| {to}", text(label));
                }
                None => {
                    let _ = writeln!(out, "  {from} {arrow} {to}");
                }
            }
        }
        for retry in &state.retries {
            let _ = writeln!(
                out,
                "  {from} -.->|\"{}\"| {from}",
                text(&format!("Retry {retry}"))
            );
        }
        if top && state.ends {
            let _ = writeln!(out, "  {from} --> finish");
        }
    }
}

/// Text inside a Mermaid `"..."` label: quotes and markup-breaking characters as entities.
fn text(label: &str) -> String {
    label
        .replace('"', "#quot;")
        .replace('|', "#124;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('\n', " ")
}
