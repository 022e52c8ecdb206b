//! A layered layout (Sugiyama's method, kept simple): each flow's states are put in layers by
//! their longest path from the start, with edges that go back (loops) set aside and drawn on the
//! right; edges longer than one layer pass through placeholder points; the order within each
//! layer is improved by barycenter sweeps, and positions pulled toward their neighbours without
//! overlapping. A Parallel or Map state is a box holding the layouts of its branches or its
//! processor, laid out first, so nesting is exact.

use crate::model::{EdgeKind, Flow, State};

/// Height of a plain state's box.
pub const NODE_HEIGHT: f64 = 46.0;
/// Room above a Parallel or Map state's contents, for its title.
pub const HEADER: f64 = 38.0;
/// Diameter of the start and end markers.
pub const MARKER: f64 = 22.0;
const LAYER_GAP: f64 = 54.0;
const NODE_GAP: f64 = 36.0;
const PAD: f64 = 14.0;
const DUMMY_WIDTH: f64 = 14.0;
const LANE_GAP: f64 = 14.0;
const SWEEPS: usize = 8;
/// The most characters of an edge's label drawn.
pub const LABEL_CHARS: usize = 40;
const REFINEMENTS: usize = 12;

/// A flow laid out: coordinates are absolute (the outermost layout starts at 0, 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<Placed>,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The state's name ("" for a marker).
    pub name: String,
    pub kind: NodeKind,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// A Parallel state's branches or a Map state's processor.
    pub inner: Vec<Layout>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    State(String),
    Start,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// State names; "" for a marker.
    pub from: String,
    pub to: String,
    pub kind: RouteKind,
    pub label: Option<String>,
    pub points: Vec<(f64, f64)>,
    /// Where the label goes.
    pub label_at: (f64, f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Edge(EdgeKind),
    /// A Retrier: a loop on its state.
    Retry,
}

impl Placed {
    pub fn center_x(&self) -> f64 {
        self.x + self.w / 2.0
    }

    pub fn center_y(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

impl Layout {
    /// Every placed state, nested ones included.
    pub fn all_nodes(&self) -> Vec<&Placed> {
        let mut all = Vec::new();
        for node in &self.nodes {
            all.push(node);
            for inner in &node.inner {
                all.extend(inner.all_nodes());
            }
        }
        all
    }

    /// Every route, nested ones included.
    pub fn all_routes(&self) -> Vec<&Route> {
        let mut all: Vec<&Route> = self.routes.iter().collect();
        for node in &self.nodes {
            for inner in &node.inner {
                all.extend(inner.all_routes());
            }
        }
        all
    }

    /// What is wrong with the layout, if anything: two boxes of one flow that overlap, a
    /// nested box outside its state's, a box outside the picture. Empty when it is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        self.check(&mut problems);
        for node in self.all_nodes() {
            if node.x < 0.0
                || node.y < 0.0
                || node.x + node.w > self.width
                || node.y + node.h > self.height
            {
                problems.push(format!("'{}' is outside the picture", node.name));
            }
        }
        for route in self.all_routes() {
            if let Some(label) = &route.label {
                let width = label_width(label);
                let (left, right) = if leftward(route) {
                    (route.label_at.0 - 4.0 - width, route.label_at.0)
                } else {
                    (route.label_at.0, route.label_at.0 + 4.0 + width)
                };
                if left < -0.001 || right > self.width + 0.001 {
                    problems.push(format!("the label '{label}' is outside the picture"));
                }
            }
        }
        problems
    }

    fn check(&self, problems: &mut Vec<String>) {
        let overlaps = |a: &Placed, b: &Placed| {
            a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
        };
        for (i, a) in self.nodes.iter().enumerate() {
            for b in &self.nodes[i + 1..] {
                if overlaps(a, b) {
                    problems.push(format!("'{}' and '{}' overlap", a.name, b.name));
                }
            }
            for inner in &a.inner {
                for node in inner.all_nodes() {
                    let inside = node.x >= a.x
                        && node.x + node.w <= a.x + a.w + 0.001
                        && node.y >= a.y
                        && node.y + node.h <= a.y + a.h + 0.001;
                    if !inside {
                        problems.push(format!("'{}' is outside '{}'", node.name, a.name));
                    }
                }
                inner.check(problems);
            }
        }
    }

    fn translate(&mut self, dx: f64, dy: f64) {
        for node in &mut self.nodes {
            node.x += dx;
            node.y += dy;
            for inner in &mut node.inner {
                inner.translate(dx, dy);
            }
        }
        for route in &mut self.routes {
            for p in &mut route.points {
                p.0 += dx;
                p.1 += dy;
            }
            route.label_at.0 += dx;
            route.label_at.1 += dy;
        }
    }
}

/// The width a text takes at a font size, near enough for a sans-serif font.
pub fn text_width(text: &str, size: f64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let chars = text.chars().count() as f64;
    chars * size * 0.58
}

/// The width of an edge's label as drawn: cut to [`LABEL_CHARS`], at 10.5 px.
pub fn label_width(label: &str) -> f64 {
    text_width(&crate::model::shorten(label, LABEL_CHARS), 10.5)
}

/// Lays out a state machine's top-level flow, with start and end markers.
pub fn layout(flow: &Flow) -> Layout {
    layout_flow(flow, true)
}

/// A node while it is being placed.
struct Work {
    name: String,
    kind: NodeKind,
    w: f64,
    h: f64,
    inner: Vec<Layout>,
    layer: usize,
    x: f64,
}

/// An edge while it is being placed: the nodes it passes through (placeholders between).
struct Path {
    chain: Vec<usize>,
    kind: RouteKind,
    label: Option<String>,
    back: bool,
}

fn size_of(state: &State) -> (f64, f64, Vec<Layout>) {
    let title = text_width(&state.name, 13.0).max(text_width(&state.kind, 11.0)) + 28.0;
    if state.inner.is_empty() {
        return (title.max(110.0), NODE_HEIGHT, Vec::new());
    }
    let inner: Vec<Layout> = state.inner.iter().map(|f| layout_flow(f, false)).collect();
    #[allow(clippy::cast_precision_loss)]
    let gaps = (inner.len().saturating_sub(1)) as f64 * NODE_GAP;
    let content = inner.iter().map(|l| l.width).sum::<f64>() + gaps + 2.0 * PAD;
    let height = HEADER + inner.iter().map(|l| l.height).fold(0.0, f64::max) + PAD;
    (content.max(title), height, inner)
}

#[allow(clippy::too_many_lines)]
fn layout_flow(flow: &Flow, top: bool) -> Layout {
    let n = flow.states.len();
    let mut nodes: Vec<Work> = flow
        .states
        .iter()
        .map(|state| {
            let (w, h, inner) = size_of(state);
            Work {
                name: state.name.clone(),
                kind: NodeKind::State(state.kind.clone()),
                w,
                h,
                inner,
                layer: 0,
                x: 0.0,
            }
        })
        .collect();
    let index = |name: &str| flow.states.iter().position(|s| s.name == name);
    let mut edges: Vec<(usize, usize, RouteKind, Option<String>)> = Vec::new();
    let (start, end) = if top {
        for kind in [NodeKind::Start, NodeKind::End] {
            nodes.push(Work {
                name: String::new(),
                kind,
                w: MARKER,
                h: MARKER,
                inner: Vec::new(),
                layer: 0,
                x: 0.0,
            });
        }
        (Some(n), Some(n + 1))
    } else {
        (None, None)
    };
    if let (Some(start), Some(first)) = (start, index(&flow.start_at)) {
        edges.push((start, first, RouteKind::Edge(EdgeKind::Next), None));
    }
    for (i, state) in flow.states.iter().enumerate() {
        for edge in &state.edges {
            let Some(to) = index(&edge.to) else { continue };
            // Edges between the same two states (a rule and Default both to one state) are
            // drawn once, with their labels joined: drawn apart they would lie on each other.
            let same = edges
                .iter_mut()
                .find(|(f, t, k, _)| (*f, *t) == (i, to) && matches!(k, RouteKind::Edge(_)));
            match same {
                Some((_, _, _, label)) => {
                    let joined = [label.take(), edge.label.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" | ");
                    *label = Some(joined);
                }
                None => edges.push((i, to, RouteKind::Edge(edge.kind), edge.label.clone())),
            }
        }
        if let (true, Some(end)) = (state.ends, end) {
            edges.push((i, end, RouteKind::Edge(EdgeKind::Next), None));
        }
        for retry in &state.retries {
            edges.push((i, i, RouteKind::Retry, Some(format!("Retry {retry}"))));
        }
    }

    // Depth-first from the start (then from any state not reached): preorder ranks, the
    // postorder for layering, and which edges go back.
    let total = nodes.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); total];
    for (e, (from, _, _, _)) in edges.iter().enumerate() {
        out[*from].push(e);
    }
    let mut roots: Vec<usize> = Vec::new();
    roots.extend(start);
    roots.extend(index(&flow.start_at));
    roots.extend(0..total);
    let mut colour = vec![0_u8; total];
    let mut rank = vec![0.0_f64; total];
    let mut postorder = Vec::with_capacity(total);
    let mut back = vec![false; edges.len()];
    let mut next_rank = 0.0;
    for root in roots {
        if colour[root] != 0 {
            continue;
        }
        colour[root] = 1;
        rank[root] = next_rank;
        next_rank += 1.0;
        let mut stack = vec![(root, 0_usize)];
        while let Some((node, child)) = stack.pop() {
            if let Some(&e) = out[node].get(child) {
                stack.push((node, child + 1));
                let to = edges[e].1;
                match colour[to] {
                    0 => {
                        colour[to] = 1;
                        rank[to] = next_rank;
                        next_rank += 1.0;
                        stack.push((to, 0));
                    }
                    1 => back[e] = true,
                    _ => {}
                }
            } else {
                colour[node] = 2;
                postorder.push(node);
            }
        }
    }

    // Layers: the longest path over the edges that go forward.
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); total];
    for (e, (from, to, _, _)) in edges.iter().enumerate() {
        if !back[e] && from != to {
            incoming[*to].push(*from);
        }
    }
    for &node in postorder.iter().rev() {
        let layer = incoming[node]
            .iter()
            .map(|&from| nodes[from].layer + 1)
            .max()
            .unwrap_or(0);
        nodes[node].layer = layer;
    }
    if let Some(end) = end {
        // Below every state, right under the deepest (also when nothing ends: a machine that
        // loops for ever still gets its marker closing the picture).
        let deepest = nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != end)
            .map(|(_, n)| n.layer)
            .max()
            .unwrap_or(0);
        nodes[end].layer = deepest + 1;
    }

    // Placeholders for edges longer than one layer.
    let mut paths = Vec::with_capacity(edges.len());
    for (e, (from, to, kind, label)) in edges.iter().enumerate() {
        let (from, to) = (*from, *to);
        let going_back = back[e] || from == to || nodes[to].layer <= nodes[from].layer;
        let mut chain = vec![from];
        if !going_back {
            for layer in nodes[from].layer + 1..nodes[to].layer {
                let id = nodes.len();
                nodes.push(Work {
                    name: String::new(),
                    kind: NodeKind::State(String::new()),
                    w: DUMMY_WIDTH,
                    h: 0.0,
                    inner: Vec::new(),
                    layer,
                    x: 0.0,
                });
                #[allow(clippy::cast_precision_loss)]
                rank.push(rank[from] + 0.5 + chain.len() as f64 * 0.01);
                chain.push(id);
            }
        }
        chain.push(to);
        paths.push(Path {
            chain,
            kind: *kind,
            label: label.clone(),
            back: going_back,
        });
    }
    let dummies = total..nodes.len();

    // Order within layers: by rank, then barycenter sweeps.
    let layer_count = nodes.iter().map(|n| n.layer).max().map_or(0, |l| l + 1);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    for (i, node) in nodes.iter().enumerate() {
        layers[node.layer].push(i);
    }
    for layer in &mut layers {
        layer.sort_by(|a, b| rank[*a].total_cmp(&rank[*b]));
    }
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for path in paths.iter().filter(|p| !p.back) {
        for pair in path.chain.windows(2) {
            down[pair[0]].push(pair[1]);
            up[pair[1]].push(pair[0]);
        }
    }
    let mut position = vec![0.0_f64; nodes.len()];
    let set_positions = |layers: &Vec<Vec<usize>>, position: &mut Vec<f64>| {
        for layer in layers {
            for (i, &node) in layer.iter().enumerate() {
                #[allow(clippy::cast_precision_loss)]
                {
                    position[node] = i as f64;
                }
            }
        }
    };
    set_positions(&layers, &mut position);
    for sweep in 0..SWEEPS {
        let downward = sweep % 2 == 0;
        let order: Vec<usize> = if downward {
            (1..layer_count).collect()
        } else {
            (0..layer_count.saturating_sub(1)).rev().collect()
        };
        for l in order {
            let neighbours = if downward { &up } else { &down };
            let keys: Vec<(usize, f64)> = layers[l]
                .iter()
                .map(|&node| {
                    let near = &neighbours[node];
                    let key = if near.is_empty() {
                        position[node]
                    } else {
                        #[allow(clippy::cast_precision_loss)]
                        let mean =
                            near.iter().map(|&m| position[m]).sum::<f64>() / near.len() as f64;
                        mean
                    };
                    (node, key)
                })
                .collect();
            let mut sorted = keys;
            sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
            layers[l] = sorted.into_iter().map(|(node, _)| node).collect();
            for (i, &node) in layers[l].iter().enumerate() {
                #[allow(clippy::cast_precision_loss)]
                {
                    position[node] = i as f64;
                }
            }
        }
    }

    // Horizontal positions (centres): packed, then pulled toward their neighbours.
    for layer in &layers {
        let mut x = 0.0;
        for &node in layer {
            nodes[node].x = x + nodes[node].w / 2.0;
            x += nodes[node].w + NODE_GAP;
        }
    }
    for round in 0..REFINEMENTS {
        for layer in &layers {
            let wanted: Vec<f64> = layer
                .iter()
                .map(|&node| {
                    let mut near: Vec<usize> = up[node].clone();
                    if round % 2 == 1 || near.is_empty() {
                        near.extend(&down[node]);
                    }
                    if near.is_empty() {
                        nodes[node].x
                    } else {
                        #[allow(clippy::cast_precision_loss)]
                        let mean =
                            near.iter().map(|&m| nodes[m].x).sum::<f64>() / near.len() as f64;
                        mean
                    }
                })
                .collect();
            let placed = spread(layer, &wanted, &nodes);
            for (&node, x) in layer.iter().zip(placed) {
                nodes[node].x = x;
            }
        }
    }
    let left = nodes
        .iter()
        .map(|n| n.x - n.w / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = if left.is_finite() { PAD - left } else { 0.0 };
    for node in &mut nodes {
        node.x += shift;
    }

    // Vertical positions: layer by layer.
    let mut tops = Vec::with_capacity(layer_count);
    let mut heights = Vec::with_capacity(layer_count);
    let mut y = if top { PAD } else { 0.0 };
    for layer in &layers {
        let h = layer.iter().map(|&n| nodes[n].h).fold(0.0, f64::max);
        tops.push(y);
        heights.push(h);
        y += h + LAYER_GAP;
    }
    let height = (y - LAYER_GAP).max(0.0) + if top { PAD } else { 0.0 };

    let placed: Vec<Placed> = nodes
        .iter()
        .map(|node| Placed {
            name: node.name.clone(),
            kind: node.kind.clone(),
            x: node.x - node.w / 2.0,
            y: tops[node.layer] + (heights[node.layer] - node.h) / 2.0,
            w: node.w,
            h: node.h,
            inner: Vec::new(),
        })
        .collect();

    // Routes: down through the placeholders, or back up on a lane at the right.
    let mut right = placed.iter().map(|p| p.x + p.w).fold(0.0, f64::max);
    let mut routes = Vec::with_capacity(paths.len());
    let mut lanes = 0.0;
    for path in &paths {
        let from = &placed[path.chain[0]];
        let to = &placed[*path.chain.last().unwrap_or(&path.chain[0])];
        let name = |p: &Placed| p.name.clone();
        let (points, label_at) = if path.chain[0] == *path.chain.last().unwrap_or(&0) && path.back {
            // A loop on one state (a Retrier, or a state whose next state is itself).
            let (x, y) = (from.x + from.w, from.center_y());
            let loop_x = x + 22.0;
            (
                vec![
                    (x, y - 9.0),
                    (loop_x, y - 9.0),
                    (loop_x, y + 9.0),
                    (x, y + 9.0),
                ],
                (loop_x + 4.0, y),
            )
        } else if path.back {
            let span = placed
                .iter()
                .filter(|p| {
                    let (a, b) = (from.y.min(to.y), (from.y + from.h).max(to.y + to.h));
                    p.y < b && p.y + p.h > a
                })
                .map(|p| p.x + p.w)
                .fold(0.0, f64::max);
            lanes += 1.0;
            let lane = span + LANE_GAP * lanes;
            right = right.max(lane);
            (
                vec![
                    (from.x + from.w, from.center_y()),
                    (lane, from.center_y()),
                    (lane, to.center_y()),
                    (to.x + to.w, to.center_y()),
                ],
                (lane + 4.0, (from.center_y() + to.center_y()) / 2.0),
            )
        } else {
            let mut points = vec![(from.center_x(), from.y + from.h)];
            for &dummy in &path.chain[1..path.chain.len() - 1] {
                let d = &placed[dummy];
                let layer = nodes[dummy].layer;
                points.push((d.center_x(), tops[layer]));
                points.push((d.center_x(), tops[layer] + heights[layer]));
            }
            points.push((to.center_x(), to.y));
            // Along the first segment, nearer its end than its start: edges leaving one state
            // spread apart as they go, so their labels do.
            let (a, b) = (points[0], points[1]);
            let along = 0.62_f64;
            (
                points,
                (
                    a.0 + (b.0 - a.0) * along,
                    a.1 + (b.1 - a.1).min(LAYER_GAP) * along,
                ),
            )
        };
        routes.push(Route {
            from: name(from),
            to: name(to),
            kind: path.kind,
            label: path.label.clone(),
            points,
            label_at,
        });
    }

    // Nest the branches and processors in their boxes; drop the placeholders.
    let mut placed = placed;
    placed.truncate(dummies.start);
    for (i, node) in nodes.into_iter().enumerate().take(dummies.start) {
        let mut inner = node.inner;
        #[allow(clippy::cast_precision_loss)]
        let content = inner.iter().map(|l| l.width).sum::<f64>()
            + inner.len().saturating_sub(1) as f64 * NODE_GAP;
        let mut x = placed[i].x + (placed[i].w - content) / 2.0;
        for layout in &mut inner {
            layout.translate(x, placed[i].y + HEADER);
            x += layout.width + NODE_GAP;
        }
        placed[i].inner = inner;
    }
    // Room for the labels: they are drawn left-aligned at their points.
    let labels = routes
        .iter()
        .filter(|r| !leftward(r))
        .filter_map(|r| {
            r.label
                .as_ref()
                .map(|l| r.label_at.0 + 4.0 + label_width(l))
        })
        .fold(0.0, f64::max);
    let width = right
        .max(labels)
        .max(placed.iter().map(|p| p.x + p.w).fold(0.0, f64::max))
        + PAD;
    let mut layout = Layout {
        width,
        height,
        nodes: placed,
        routes,
    };
    // A label of an edge leaving to the left ends at its point: room for it on the left.
    let overflow = layout
        .routes
        .iter()
        .filter(|r| leftward(r))
        .filter_map(|r| {
            r.label
                .as_ref()
                .map(|l| label_width(l) + 4.0 - r.label_at.0)
        })
        .fold(0.0, f64::max);
    if overflow > 0.0 {
        layout.translate(overflow + PAD, 0.0);
        layout.width += overflow + PAD;
    }
    layout
}

/// Whether `route`'s first segment goes to the left (its label is drawn ending at its point).
pub fn leftward(route: &Route) -> bool {
    matches!(route.points.as_slice(), [a, b, ..] if b.0 < a.0 - 1.0)
}

/// Centres for the nodes of one layer, in their order, as near `wanted` as they can be without
/// overlapping: the mean of a left-packed and a right-packed placement, packed again.
fn spread(layer: &[usize], wanted: &[f64], nodes: &[Work]) -> Vec<f64> {
    let gap = |a: usize, b: usize| (nodes[a].w + nodes[b].w) / 2.0 + NODE_GAP;
    let count = layer.len();
    let mut left = wanted.to_vec();
    for i in 1..count {
        left[i] = left[i].max(left[i - 1] + gap(layer[i - 1], layer[i]));
    }
    let mut right = wanted.to_vec();
    for i in (0..count.saturating_sub(1)).rev() {
        right[i] = right[i].min(right[i + 1] - gap(layer[i], layer[i + 1]));
    }
    let mut x: Vec<f64> = left
        .iter()
        .zip(&right)
        .map(|(a, b)| (a + b) / 2.0)
        .collect();
    for i in 1..count {
        x[i] = x[i].max(x[i - 1] + gap(layer[i - 1], layer[i]));
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(layout: &Layout) {
        assert_eq!(layout.problems(), Vec::<String>::new());
    }

    #[test]
    fn states_do_not_overlap_and_every_edge_is_drawn() {
        let definition = json!({"StartAt": "Pick", "States": {
            "Pick": {"Type": "Choice", "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Fan"},
                {"Variable": "$.n", "NumericEquals": 0, "Next": "Fail"}], "Default": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Pick"},
            "Fan": {"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": true}}},
                {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"StartAt": "T",
                    "States": {"T": {"Type": "Task", "Resource": "r", "End": true,
                        "Retry": [{"ErrorEquals": ["States.ALL"]}]}}}, "End": true}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fail"}], "Next": "Done"},
            "Fail": {"Type": "Fail"},
            "Done": {"Type": "Succeed"}}});
        let flow = Flow::read(&definition, "").unwrap();
        let layout = layout(&flow);
        check(&layout);
        // Every edge of the model, the start's, each end's and each Retrier's loop.
        let routes = layout.all_routes();
        for state in flow.all_states() {
            for edge in &state.edges {
                // Its own route, or (between the same states) one it shares, with its label.
                assert!(
                    routes.iter().any(|r| r.from == state.name
                        && r.to == edge.to
                        && matches!(r.kind, RouteKind::Edge(_))
                        && edge.label.as_ref().is_none_or(|l| r
                            .label
                            .as_deref()
                            .is_some_and(|all| all.contains(l.as_str())))),
                    "{} -> {} not drawn",
                    state.name,
                    edge.to
                );
            }
            for _ in &state.retries {
                assert!(routes
                    .iter()
                    .any(|r| r.from == state.name && r.kind == RouteKind::Retry));
            }
        }
        // Start; Pick's 2 rules and Default; Wait's loop; Fan's Catch and Next; the 2 ends;
        // A -> A2; T's Retrier.
        assert_eq!(routes.len(), 1 + 3 + 1 + 2 + 2 + 1 + 1);
        // The loop back from Wait to Pick goes up; everything else goes down.
        let back = routes.iter().find(|r| r.from == "Wait").unwrap();
        assert!(back.points.last().unwrap().1 < back.points[0].1);
        for route in routes
            .iter()
            .filter(|r| r.from != "Wait" && r.kind != RouteKind::Retry)
        {
            assert!(
                route.points.last().unwrap().1 > route.points[0].1,
                "{route:?}"
            );
        }
        assert!(layout.width > 0.0 && layout.height > 0.0);
        for node in layout.all_nodes() {
            assert!(
                node.x + node.w <= layout.width && node.y + node.h <= layout.height,
                "{node:?}"
            );
        }
    }

    #[test]
    fn a_long_chain_lays_out_in_one_column_without_recursion() {
        let mut states = serde_json::Map::new();
        for i in 0..5000 {
            let state = if i == 4999 {
                json!({"Type": "Pass", "End": true})
            } else {
                json!({"Type": "Pass", "Next": format!("S{}", i + 1)})
            };
            states.insert(format!("S{i}"), state);
        }
        let flow = Flow::read(&json!({"StartAt": "S0", "States": states}), "").unwrap();
        let layout = layout(&flow);
        check(&layout);
        let xs: Vec<f64> = layout
            .nodes
            .iter()
            .filter(|n| n.name.starts_with('S'))
            .map(Placed::center_x)
            .collect();
        assert!(xs.iter().all(|x| (x - xs[0]).abs() < 0.001));
    }
}
