//! One self-contained HTML page (no network, no CDN): the picture, and beside it the
//! execution's events; clicking a state (or one of its events) shows its input, output, error
//! and cause, and its retries. The page's data is one JSON document inside it; the script only
//! ever sets text, so nothing in a state's name or data can become markup.

use std::fmt::Write;

use serde_json::{json, Map};

use crate::execution::Execution;
use crate::model::{shorten, Flow};
use crate::svg::escape;

const STYLE: &str = "
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #1d2733; background: #fafbfc; }
header { padding: 12px 20px; border-bottom: 1px solid #dde1e6; background: #fff; display: flex; gap: 14px; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 18px; margin: 0; }
.status { font-weight: 700; padding: 2px 8px; border-radius: 10px; font-size: 12px; background: #e6f0ff; color: #1a4fa0; }
.status.SUCCEEDED { background: #e3f6e8; color: #1e6b37; }
.status.FAILED, .status.TIMED_OUT, .status.ABORTED { background: #fde7e7; color: #a4262c; }
.summary { color: #5f6b7a; font-size: 13px; }
main { display: flex; align-items: flex-start; gap: 0; height: calc(100vh - 50px); }
.graph { flex: 1 1 auto; overflow: auto; height: 100%; padding: 12px; }
aside { flex: 0 0 420px; height: 100%; overflow: auto; border-left: 1px solid #dde1e6; background: #fff; padding: 0 16px 16px; }
aside h2 { font-size: 15px; margin: 16px 0 6px; }
.hint { color: #5f6b7a; font-size: 13px; }
pre { background: #f6f7f9; border: 1px solid #e3e6ea; border-radius: 6px; padding: 8px; font-size: 12px; white-space: pre-wrap; word-break: break-word; max-height: 260px; overflow: auto; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 10px; font-size: 13px; margin: 6px 0; }
dt { color: #5f6b7a; }
dd { margin: 0; word-break: break-word; }
.failure { border-left: 3px solid #d13438; padding-left: 8px; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
tr[data-state] { cursor: pointer; }
tr.mine { background: #fff7d6; }
tr.fail td { color: #a4262c; }
";

const SCRIPT: &str = r#"
(function () {
  var data = JSON.parse(document.getElementById('qs-data').textContent);
  var panel = document.getElementById('details');
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function pretty(text) { try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; } }
  function show(name) {
    var s = data.states[name];
    if (!s) return;
    document.querySelectorAll('.state.selected').forEach(function (g) { g.classList.remove('selected'); });
    document.querySelectorAll('.state[data-state]').forEach(function (g) { if (g.getAttribute('data-state') === name) g.classList.add('selected'); });
    document.querySelectorAll('#events tr[data-state]').forEach(function (r) { r.classList.toggle('mine', r.getAttribute('data-state') === name); });
    panel.replaceChildren();
    panel.appendChild(el('h2', name, 'state-name'));
    var facts = [s.type];
    if (s.outcome) facts.push(s.outcome.replace('-', ' '));
    if (s.entered > 1) facts.push('entered ' + s.entered + ' times');
    if (s.retries > 0) facts.push('retried ' + s.retries + (s.retries === 1 ? ' time' : ' times'));
    panel.appendChild(el('p', facts.join(' · '), 'facts'));
    (s.failures || []).forEach(function (f, i) {
      var box = el('div', undefined, 'failure');
      var dl = el('dl');
      dl.appendChild(el('dt', i + 1 < s.failures.length || s.outcome === 'retried' ? 'Error (retried)' : 'Error'));
      dl.appendChild(el('dd', f.error, 'error-name'));
      dl.appendChild(el('dt', 'Cause'));
      dl.appendChild(el('dd', f.cause === null ? '' : f.cause, 'cause'));
      box.appendChild(dl);
      panel.appendChild(box);
    });
    [['Input', s.input], ['Output', s.output]].forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined) return;
      panel.appendChild(el('h2', pair[0]));
      panel.appendChild(el('pre', pretty(pair[1]), pair[0].toLowerCase()));
    });
    if (!s.outcome) panel.appendChild(el('p', 'No execution was given: the picture shows the definition only.', 'hint'));
  }
  document.querySelectorAll('.state[data-state]').forEach(function (g) {
    g.addEventListener('click', function () { show(g.getAttribute('data-state')); });
    g.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') show(g.getAttribute('data-state')); });
  });
  document.querySelectorAll('#events tr[data-state]').forEach(function (r) {
    r.addEventListener('click', function () { show(r.getAttribute('data-state')); });
  });
  var failed = Object.keys(data.states).filter(function (n) { return data.states[n].outcome === 'failed'; });
  if (failed.length) show(failed[failed.length - 1]);
})();
"#;

/// The page of `flow` (and its execution), with `svg` its picture.
pub fn render(title: &str, flow: &Flow, svg: &str, execution: Option<&Execution>) -> String {
    let mut states = Map::new();
    for state in flow.all_states() {
        let mut entry = json!({"type": state.kind, "outcome": null, "entered": 0, "retries": 0,
            "failures": [], "input": null, "output": null});
        if let Some(execution) = execution {
            entry["outcome"] = json!(execution.outcome(&state.name).name());
            if let Some(visit) = execution.visits.get(&state.name) {
                entry["entered"] = json!(visit.entered);
                entry["retries"] = json!(visit.retries);
                entry["failures"] = visit
                    .failures
                    .iter()
                    .map(|(error, cause)| json!({"error": error, "cause": cause}))
                    .collect();
                entry["input"] = json!(visit.input);
                entry["output"] = json!(visit.output);
            }
        }
        states.insert(state.name.clone(), entry);
    }
    let data = json!({"title": title, "states": states});
    // `<` as \u003c: the JSON cannot end its <script> element.
    let data = data.to_string().replace('<', "\\u003c");

    let mut out = String::with_capacity(svg.len() + 16_384);
    out.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(
        out,
        "<title>{} · quickstep</title><style>{STYLE}</style></head><body>",
        escape(title)
    );
    let _ = write!(out, "<header><h1>{}</h1>", escape(title));
    match execution {
        Some(execution) => {
            let _ = write!(
                out,
                "<span class=\"status {0}\" id=\"status\">{0}</span>",
                escape(&execution.status)
            );
            if let Some(error) = &execution.error {
                let _ = write!(
                    out,
                    "<span class=\"summary\">{}{}</span>",
                    escape(error),
                    execution
                        .cause
                        .as_ref()
                        .map(|c| format!(": {}", escape(&shorten(c, 160))))
                        .unwrap_or_default()
                );
            }
        }
        None => out.push_str("<span class=\"summary\">definition only</span>"),
    }
    out.push_str("</header><main><section class=\"graph\">");
    out.push_str(svg);
    out.push_str("</section><aside><section id=\"details\"><h2>Select a state</h2><p class=\"hint\">Click a state to see its input, output, error and cause, and its retries.</p></section>");
    if let Some(execution) = execution {
        out.push_str("<h2>Events</h2><table id=\"events\"><thead><tr><th>#</th><th>Type</th><th>State</th><th>Time</th></tr></thead><tbody>");
        let start = execution.events.iter().find_map(|e| e.timestamp);
        for event in &execution.events {
            let failure = event.kind.ends_with("Failed") || event.kind.ends_with("TimedOut");
            let time = match (event.timestamp, start) {
                (Some(t), Some(s)) => format!("+{:.3} s", t - s),
                _ => String::new(),
            };
            let _ = write!(
                out,
                "<tr{}{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                event
                    .state
                    .as_ref()
                    .map(|s| format!(" data-state=\"{}\"", escape(s)))
                    .unwrap_or_default(),
                if failure { " class=\"fail\"" } else { "" },
                event.id,
                escape(&event.kind),
                escape(event.state.as_deref().unwrap_or("")),
                time
            );
        }
        out.push_str("</tbody></table>");
    }
    let _ = writeln!(
        out,
        "</aside></main><script type=\"application/json\" id=\"qs-data\">{data}</script><script>{SCRIPT}</script></body></html>"
    );
    out
}

/// The data as the page holds it (for tests).
#[cfg(test)]
pub fn data_of(page: &str) -> serde_json::Value {
    let start = page.find("id=\"qs-data\">").map(|i| i + 13).unwrap_or(0);
    let end = page[start..]
        .find("</script>")
        .map_or(page.len(), |i| start + i);
    serde_json::from_str(&page[start..end]).unwrap_or(serde_json::Value::Null)
}
