//! The layout as SVG: states as boxes (coloured by what the execution did with them, if one is
//! given), Parallel and Map states as boxes around their branches, edges as lines with arrows:
//! `Next` solid, `Default` dotted, Catchers dashed orange, Retriers as dashed purple loops; the
//! moves the execution made drawn thick green.

use std::fmt::Write;

use crate::execution::{Execution, Outcome};
use crate::layout::{Layout, NodeKind, Placed, Route, RouteKind, LABEL_CHARS};
use crate::model::{shorten, EdgeKind};

/// The stylesheet the picture carries, so it looks the same alone and inside the page.
const STYLE: &str = "
.qs-graph { font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; }
.qs-graph .state > rect { fill: #ffffff; stroke: #5f6b7a; stroke-width: 1.4; }
.qs-graph .state.task > rect { fill: #eef4ff; }
.qs-graph .state.choice > rect { fill: #fff7e6; }
.qs-graph .state.wait > rect { fill: #f4eefc; }
.qs-graph .state.succeed > rect { fill: #eaf7ee; }
.qs-graph .state.fail > rect { fill: #fdeeee; }
.qs-graph .state.parallel > rect, .qs-graph .state.map > rect { fill: #f6f7f9; stroke-dasharray: 0; }
.qs-graph .state.succeeded > rect { fill: #e3f6e8; stroke: #2e9e4f; stroke-width: 2; }
.qs-graph .state.retried > rect { fill: #fff9db; stroke: #b58900; stroke-width: 2; }
.qs-graph .state.caught > rect { fill: #fff0e0; stroke: #e8710a; stroke-width: 2.2; }
.qs-graph .state.failed > rect { fill: #fde7e7; stroke: #d13438; stroke-width: 2.6; }
.qs-graph .state.running > rect { fill: #e6f0ff; stroke: #1a73e8; stroke-width: 2; stroke-dasharray: 5 3; }
.qs-graph .state.not-reached { opacity: 0.5; }
.qs-graph .state { cursor: pointer; }
.qs-graph .state.selected > rect { stroke: #111; stroke-width: 3; }
.qs-graph .name { font-size: 13px; font-weight: 600; fill: #1d2733; }
.qs-graph .kind { font-size: 11px; fill: #5f6b7a; }
.qs-graph .badge { font-size: 11px; font-weight: 600; fill: #1d2733; }
.qs-graph .marker { fill: #3c4650; }
.qs-graph .edge { fill: none; stroke: #7a8594; stroke-width: 1.4; }
.qs-graph .edge.default { stroke-dasharray: 2 3; }
.qs-graph .edge.catch { stroke: #e8710a; stroke-dasharray: 6 4; }
.qs-graph .edge.retry { stroke: #8e44ad; stroke-dasharray: 3 3; }
.qs-graph .edge.taken { stroke: #2e9e4f; stroke-width: 2.6; }
.qs-graph .label { font-size: 10.5px; fill: #3c4650; }
.qs-graph .label.catch { fill: #b85600; }
.qs-graph .label.retry { fill: #6c3483; }
";

/// The SVG document of `layout`.
pub fn render(layout: &Layout, execution: Option<&Execution>) -> String {
    let mut out = String::with_capacity(4096 + layout.nodes.len() * 400);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qs-graph\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\">",
        w = layout.width,
        h = layout.height
    );
    let _ = write!(out, "<style>{STYLE}</style><defs>");
    for (id, colour) in [
        ("arrow", "#7a8594"),
        ("arrow-catch", "#e8710a"),
        ("arrow-retry", "#8e44ad"),
        ("arrow-taken", "#2e9e4f"),
    ] {
        let _ = write!(
            out,
            "<marker id=\"qs-{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{colour}\"/></marker>"
        );
    }
    out.push_str("</defs>");
    draw(&mut out, layout, execution);
    out.push_str("</svg>");
    out
}

fn draw(out: &mut String, layout: &Layout, execution: Option<&Execution>) {
    for node in &layout.nodes {
        node_svg(out, node, execution);
        for inner in &node.inner {
            draw(out, inner, execution);
        }
    }
    for route in &layout.routes {
        route_svg(out, route, execution);
    }
}

fn node_svg(out: &mut String, node: &Placed, execution: Option<&Execution>) {
    match &node.kind {
        NodeKind::Start => {
            let _ = write!(
                out,
                "<circle class=\"marker start\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.1}\"><title>Start</title></circle>",
                node.center_x(),
                node.center_y(),
                node.w / 2.0
            );
        }
        NodeKind::End => {
            let (cx, cy, r) = (node.center_x(), node.center_y(), node.w / 2.0);
            let _ = write!(
                out,
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r:.1}\" fill=\"none\" stroke=\"#3c4650\" stroke-width=\"2\"><title>End</title></circle><circle class=\"marker end\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{:.1}\"/>",
                r - 5.0
            );
        }
        NodeKind::State(kind) => {
            let outcome = execution.map(|e| e.outcome(&node.name));
            let visit = execution.and_then(|e| e.visits.get(&node.name));
            let _ = write!(
                out,
                "<g class=\"state {}{}\" data-state=\"{}\" tabindex=\"0\">",
                kind.to_lowercase(),
                outcome
                    .map(|o| format!(" {}", o.name()))
                    .unwrap_or_default(),
                escape(&node.name)
            );
            let _ = write!(
                out,
                "<title>{} ({kind}){}</title>",
                escape(&node.name),
                outcome
                    .map(|o| format!(": {}", o.name()))
                    .unwrap_or_default()
            );
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"8\"/>",
                node.x, node.y, node.w, node.h
            );
            let compound = !node.inner.is_empty();
            let (name_y, kind_y) = if compound {
                (node.y + 16.0, node.y + 30.0)
            } else {
                (node.center_y() - 3.0, node.center_y() + 12.0)
            };
            let _ = write!(
                out,
                "<text class=\"name\" x=\"{:.1}\" y=\"{name_y:.1}\" text-anchor=\"middle\">{}</text><text class=\"kind\" x=\"{:.1}\" y=\"{kind_y:.1}\" text-anchor=\"middle\">{}</text>",
                node.center_x(),
                escape(&shorten(&node.name, 60)),
                node.center_x(),
                escape(kind)
            );
            if let Some(visit) = visit {
                let mut badges = Vec::new();
                if visit.entered > 1 {
                    badges.push(format!("×{}", visit.entered));
                }
                if visit.retries > 0 {
                    badges.push(format!("↻{}", visit.retries));
                }
                if !badges.is_empty() && outcome != Some(Outcome::NotReached) {
                    let _ = write!(
                        out,
                        "<text class=\"badge\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                        node.x + node.w - 6.0,
                        node.y + 13.0,
                        badges.join(" ")
                    );
                }
            }
            out.push_str("</g>");
        }
    }
}

fn route_svg(out: &mut String, route: &Route, execution: Option<&Execution>) {
    let kind = match route.kind {
        RouteKind::Retry => "retry",
        RouteKind::Edge(EdgeKind::Catch) => "catch",
        RouteKind::Edge(EdgeKind::Default) => "default",
        RouteKind::Edge(EdgeKind::Choice) => "choice",
        RouteKind::Edge(EdgeKind::Next) => "next",
    };
    let taken = execution.is_some_and(|e| taken(e, route));
    let marker = match (taken, kind) {
        (true, _) => "arrow-taken",
        (_, "catch") => "arrow-catch",
        (_, "retry") => "arrow-retry",
        _ => "arrow",
    };
    let mut d = String::new();
    for (i, (x, y)) in route.points.iter().enumerate() {
        let _ = write!(d, "{}{x:.1} {y:.1} ", if i == 0 { "M " } else { "L " });
    }
    let _ = write!(
        out,
        "<path class=\"edge {kind}{}\" data-from=\"{}\" data-to=\"{}\" d=\"{}\" marker-end=\"url(#qs-{marker})\"/>",
        if taken { " taken" } else { "" },
        escape(&route.from),
        escape(&route.to),
        d.trim_end()
    );
    if let Some(label) = &route.label {
        let (x, y) = route.label_at;
        // A label of an edge that leaves to the left ends at its point; any other starts there.
        let (anchor, x) = if crate::layout::leftward(route) {
            ("end", x - 4.0)
        } else {
            ("start", x + 4.0)
        };
        let _ = write!(
            out,
            "<text class=\"label {kind}\" x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\">{}</text>",
            escape(&shorten(label, LABEL_CHARS))
        );
    }
}

/// Whether the execution made the move `route` draws.
fn taken(execution: &Execution, route: &Route) -> bool {
    match route.kind {
        RouteKind::Retry => execution
            .visits
            .get(&route.from)
            .is_some_and(|v| v.retries > 0),
        RouteKind::Edge(_) if route.from.is_empty() => execution.visits.contains_key(&route.to),
        RouteKind::Edge(_) if route.to.is_empty() => {
            execution.status == "SUCCEEDED"
                && matches!(
                    execution.outcome(&route.from),
                    Outcome::Succeeded | Outcome::Retried
                )
        }
        RouteKind::Edge(_) => execution
            .transitions
            .contains(&(route.from.clone(), route.to.clone())),
    }
}

/// Text for XML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
