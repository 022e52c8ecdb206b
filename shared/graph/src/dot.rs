//! The state machine in Graphviz's DOT: states as nodes, Parallel and Map states as clusters
//! (their title a node that edges meet), the same edge styles as the SVG.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::execution::Execution;
use crate::model::{EdgeKind, Flow};

pub fn render(flow: &Flow, title: &str, execution: Option<&Execution>) -> String {
    let ids = flow.node_ids();
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(title));
    out.push_str("  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fillcolor=\"#ffffff\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  start [shape=circle, label=\"\", width=0.25, fillcolor=\"#3c4650\"];\n  end [shape=doublecircle, label=\"\", width=0.2, fillcolor=\"#3c4650\"];\n");
    nodes(&mut out, flow, &ids, execution, 1);
    if let Some(first) = ids.get(&flow.start_at) {
        let _ = writeln!(out, "  start -> {first};");
    }
    edges(&mut out, flow, &ids, true);
    out.push_str("}\n");
    out
}

fn nodes(
    out: &mut String,
    flow: &Flow,
    ids: &BTreeMap<String, String>,
    execution: Option<&Execution>,
    depth: usize,
) {
    let pad = "  ".repeat(depth);
    for state in &flow.states {
        let id = &ids[&state.name];
        let colour = execution.map_or("#ffffff", |e| match e.outcome(&state.name).name() {
            "succeeded" => "#e3f6e8",
            "retried" => "#fff9db",
            "caught" => "#fff0e0",
            "failed" => "#fde7e7",
            "running" => "#e6f0ff",
            _ => "#eeeeee",
        });
        let label = quote(&format!("{}\n{}", state.name, state.kind));
        if state.inner.is_empty() {
            let _ = writeln!(out, "{pad}{id} [label={label}, fillcolor=\"{colour}\"];");
            continue;
        }
        let _ = writeln!(out, "{pad}subgraph cluster_{id} {{");
        let _ = writeln!(
            out,
            "{pad}  style=\"rounded,filled\"; fillcolor=\"#f6f7f9\"; label=\"\";"
        );
        let _ = writeln!(out, "{pad}  {id} [label={label}, fillcolor=\"{colour}\"];");
        for (i, inner) in state.inner.iter().enumerate() {
            let _ = writeln!(out, "{pad}  subgraph cluster_{id}_{i} {{");
            let _ = writeln!(
                out,
                "{pad}    style=dashed; label={};",
                quote(&if state.kind == "Parallel" {
                    format!("Branch {}", i + 1)
                } else {
                    "Item processor".to_owned()
                })
            );
            nodes(out, inner, ids, execution, depth + 2);
            let _ = writeln!(out, "{pad}  }}");
            if let Some(first) = ids.get(&inner.start_at) {
                let _ = writeln!(
                    out,
                    "{pad}  {id} -> {first} [style=dotted, arrowhead=none];"
                );
            }
            edges(out, inner, ids, false);
        }
        let _ = writeln!(out, "{pad}}}");
    }
}

fn edges(out: &mut String, flow: &Flow, ids: &BTreeMap<String, String>, top: bool) {
    for state in &flow.states {
        let from = &ids[&state.name];
        for edge in &state.edges {
            let Some(to) = ids.get(&edge.to) else {
                continue;
            };
            let style = match edge.kind {
                EdgeKind::Next | EdgeKind::Choice => String::new(),
                EdgeKind::Default => ", style=dotted".to_owned(),
                EdgeKind::Catch => {
                    ", style=dashed, color=\"#e8710a\", fontcolor=\"#b85600\"".to_owned()
                }
            };
            let label = edge
                .label
                .as_ref()
                .map(|l| format!(", label={}", quote(l)))
                .unwrap_or_default();
            let _ = writeln!(out, "  {from} -> {to} [arrowsize=0.8{style}{label}];");
        }
        for retry in &state.retries {
            let _ = writeln!(
                out,
                "  {from} -> {from} [style=dashed, color=\"#8e44ad\", label={}];",
                quote(&format!("Retry {retry}"))
            );
        }
        if top && state.ends {
            let _ = writeln!(out, "  {from} -> end;");
        }
    }
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}
