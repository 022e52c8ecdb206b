//! A state machine as a graph: the states of each flow (the machine, a Parallel branch, a Map's
//! processor) and the ways out of each: `Next`, a Choice's rules and `Default`, Catchers; and
//! the flows nested in Parallel and Map states. Read from the definition's JSON as written, so
//! a picture can be drawn of any definition that has `StartAt` and `States`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::GraphError;

/// One `StartAt` + `States`.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub start_at: String,
    /// In the definition's order.
    pub states: Vec<State>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub name: String,
    /// `Type` as written (`Task`, `Choice`, ...).
    pub kind: String,
    /// Where it can go next, in the definition's order.
    pub edges: Vec<Edge>,
    /// It ends its flow: `End: true`, a Succeed or a Fail state.
    pub ends: bool,
    /// A Parallel state's branches, a Map state's processor.
    pub inner: Vec<Flow>,
    /// Its Retriers, each as the errors it matches.
    pub retries: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub to: String,
    pub kind: EdgeKind,
    /// A Choice rule or a Catcher's errors.
    pub label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Next,
    Choice,
    Default,
    Catch,
}

impl Flow {
    /// The flow of a definition (or a branch): `StartAt` and `States` at `pointer`.
    pub fn read(definition: &Value, pointer: &str) -> Result<Self, GraphError> {
        let bad = |field: &str, why: &str| GraphError::Definition {
            pointer: format!("{pointer}/{field}"),
            message: why.to_owned(),
        };
        let start_at = definition
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                bad(
                    "StartAt",
                    "a flow needs StartAt, the name of its first state",
                )
            })?;
        let states = definition
            .get("States")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("States", "a flow needs States, an object of its states"))?;
        let states = states
            .iter()
            .map(|(name, state)| {
                State::read(name, state, &format!("{pointer}/States/{}", escape(name)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            start_at: start_at.to_owned(),
            states,
        })
    }

    /// A short id for every state, nested ones included (`s0`, `s1`, ...), for the text
    /// formats, whose node names cannot be arbitrary state names.
    pub fn node_ids(&self) -> BTreeMap<String, String> {
        self.all_states()
            .into_iter()
            .enumerate()
            .map(|(i, state)| (state.name.clone(), format!("s{i}")))
            .collect()
    }

    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|s| s.name == name)
    }

    /// Every state of the flow and of the flows nested in it.
    pub fn all_states(&self) -> Vec<&State> {
        let mut all = Vec::new();
        for state in &self.states {
            all.push(state);
            for inner in &state.inner {
                all.extend(inner.all_states());
            }
        }
        all
    }
}

impl State {
    fn read(name: &str, state: &Value, pointer: &str) -> Result<Self, GraphError> {
        let Value::Object(fields) = state else {
            return Err(GraphError::Definition {
                pointer: pointer.to_owned(),
                message: "a state is a JSON object".to_owned(),
            });
        };
        let kind = text(fields, "Type").unwrap_or("?").to_owned();
        let mut edges = Vec::new();
        if let Some(Value::Array(choices)) = fields.get("Choices") {
            for choice in choices {
                if let Some(to) = choice.get("Next").and_then(Value::as_str) {
                    edges.push(Edge {
                        to: to.to_owned(),
                        kind: EdgeKind::Choice,
                        label: Some(rule(choice)),
                    });
                }
            }
        }
        if let Some(to) = text(fields, "Default") {
            edges.push(Edge {
                to: to.to_owned(),
                kind: EdgeKind::Default,
                label: Some("Default".to_owned()),
            });
        }
        if let Some(to) = text(fields, "Next") {
            edges.push(Edge {
                to: to.to_owned(),
                kind: EdgeKind::Next,
                label: None,
            });
        }
        if let Some(Value::Array(catchers)) = fields.get("Catch") {
            for catcher in catchers {
                if let Some(to) = catcher.get("Next").and_then(Value::as_str) {
                    edges.push(Edge {
                        to: to.to_owned(),
                        kind: EdgeKind::Catch,
                        label: Some(format!("Catch {}", errors(catcher))),
                    });
                }
            }
        }
        let retries = match fields.get("Retry") {
            Some(Value::Array(retriers)) => retriers.iter().map(errors).collect(),
            _ => Vec::new(),
        };
        let mut inner = Vec::new();
        if let Some(Value::Array(branches)) = fields.get("Branches") {
            for (i, branch) in branches.iter().enumerate() {
                inner.push(Flow::read(branch, &format!("{pointer}/Branches/{i}"))?);
            }
        }
        for field in ["ItemProcessor", "Iterator"] {
            if let Some(processor) = fields.get(field) {
                inner.push(Flow::read(processor, &format!("{pointer}/{field}"))?);
            }
        }
        let ends = fields.get("End") == Some(&Value::Bool(true))
            || matches!(kind.as_str(), "Succeed" | "Fail");
        Ok(Self {
            name: name.to_owned(),
            kind,
            edges,
            ends,
            inner,
            retries,
        })
    }
}

fn text<'a>(fields: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    fields.get(field).and_then(Value::as_str)
}

/// A Retrier's or Catcher's `ErrorEquals`, joined.
fn errors(handler: &Value) -> String {
    match handler.get("ErrorEquals") {
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// A Choice rule in short: a JSONata `Condition`, or a JSONPath comparison, `And`/`Or`/`Not`.
pub fn rule(rule: &Value) -> String {
    let Value::Object(fields) = rule else {
        return String::new();
    };
    if let Some(condition) = text(fields, "Condition") {
        let inner = condition
            .trim()
            .trim_start_matches("{%")
            .trim_end_matches("%}")
            .trim();
        return shorten(inner, 48);
    }
    for (combinator, joiner) in [("And", " and "), ("Or", " or ")] {
        if let Some(Value::Array(rules)) = fields.get(combinator) {
            let parts: Vec<String> = rules
                .iter()
                .map(|r| format!("({})", self::rule(r)))
                .collect();
            return shorten(&parts.join(joiner), 48);
        }
    }
    if let Some(inner) = fields.get("Not") {
        return shorten(&format!("not ({})", self::rule(inner)), 48);
    }
    let variable = text(fields, "Variable").unwrap_or("");
    let comparison = fields.iter().find(|(k, _)| {
        !matches!(
            k.as_str(),
            "Variable" | "Next" | "Assign" | "Output" | "Comment"
        )
    });
    match comparison {
        Some((operator, Value::Bool(yes))) if operator.starts_with("Is") => {
            let test = operator_text(operator);
            let test = if *yes {
                test
            } else {
                test.replacen("is ", "is not ", 1)
            };
            shorten(&format!("{variable} {test}"), 48)
        }
        Some((operator, value)) => shorten(
            &format!("{variable} {} {value}", operator_text(operator)),
            48,
        ),
        None => shorten(variable, 48),
    }
}

/// `NumericGreaterThanEquals` → `>=`, `StringEqualsPath` → `== (path)`, `IsPresent` → `is present`.
fn operator_text(operator: &str) -> String {
    let (base, path) = match operator.strip_suffix("Path") {
        Some(base) if base != "Is" => (base, " (path)"),
        _ => (operator, ""),
    };
    let symbol = [
        ("GreaterThanEquals", ">="),
        ("LessThanEquals", "<="),
        ("GreaterThan", ">"),
        ("LessThan", "<"),
        ("Equals", "=="),
        ("Matches", "matches"),
    ]
    .iter()
    .find(|(suffix, _)| base.ends_with(suffix))
    .map(|(_, s)| (*s).to_owned());
    match symbol {
        Some(s) => format!("{s}{path}"),
        None => match base.strip_prefix("Is") {
            Some(rest) => format!("is {}", rest.to_lowercase()),
            None => base.to_owned(),
        },
    }
}

/// `text` cut to `max` characters, with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A state name as a JSON pointer token.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_definition_becomes_flows_states_and_edges() {
        let definition = json!({"StartAt": "Pick", "States": {
            "Pick": {"Type": "Choice", "Choices": [
                {"Variable": "$.n", "NumericGreaterThanEquals": 10, "Next": "Both"},
                {"Condition": "{% $states.input.ok %}", "Next": "Done"}], "Default": "Done"},
            "Both": {"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "r", "End": true,
                    "Retry": [{"ErrorEquals": ["States.Timeout", "Busy"]}]}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "Next": "Done"},
            "Done": {"Type": "Succeed"}}});
        let flow = Flow::read(&definition, "").unwrap();
        assert_eq!(flow.start_at, "Pick");
        let pick = flow.state("Pick").unwrap();
        let labels: Vec<_> = pick
            .edges
            .iter()
            .map(|e| (e.to.as_str(), e.kind, e.label.as_deref()))
            .collect();
        assert_eq!(
            labels,
            [
                ("Both", EdgeKind::Choice, Some("$.n >= 10")),
                ("Done", EdgeKind::Choice, Some("$states.input.ok")),
                ("Done", EdgeKind::Default, Some("Default")),
            ]
        );
        let both = flow.state("Both").unwrap();
        assert_eq!(both.inner.len(), 2);
        assert_eq!(both.edges[1].label.as_deref(), Some("Catch States.ALL"));
        assert_eq!(both.inner[1].states[0].retries, ["States.Timeout, Busy"]);
        assert!(flow.state("Done").unwrap().ends);
        assert_eq!(flow.all_states().len(), 5);
    }

    #[test]
    fn a_definition_without_its_fields_names_the_place() {
        let error = Flow::read(
            &json!({"StartAt": "A", "States": {"A": {"Type": "Map",
            "ItemProcessor": {"States": {}}}}}),
            "",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "/States/A/ItemProcessor/StartAt: a flow needs StartAt, the name of its first state"
        );
        assert_eq!(
            rule(&json!({"Not": {"Variable": "$.x", "IsPresent": true}})),
            "not ($.x is present)"
        );
        assert_eq!(
            rule(&json!({"Variable": "$.x", "IsNull": false})),
            "$.x is not null"
        );
        assert_eq!(
            rule(&json!({"Variable": "$.a", "StringEqualsPath": "$.b"})),
            "$.a == (path) \"$.b\""
        );
    }
}
