//! Checking a state: its type, query language, variables and transition, and building its
//! checked form (each state type's own fields are checked in a module of its own).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::fields;
use super::Checker;
use crate::definition::{
    Assign, Fail, Pass, Payload, QueryLanguage, State, StateKind, Template, Transition,
};
use crate::problem::{pointer_escape, Problem, MISSING_TRANSITION_TARGET};

/// State names and their indices: where transitions may go.
pub(super) type Names<'a> = HashMap<&'a str, usize>;

impl Checker {
    pub(super) fn state(
        &mut self,
        name: &str,
        value: &Value,
        ptr: &str,
        names: &Names<'_>,
    ) -> Option<State> {
        let Value::Object(obj) = value else {
            self.problem("A state must be a JSON object", ptr);
            return None;
        };
        let Some(type_name) = obj.get("Type").and_then(Value::as_str) else {
            self.problem("These fields are required: [Type]", ptr);
            return None;
        };
        let language = self.state_language(obj, ptr);
        self.language = language;
        let jsonata = language == QueryLanguage::Jsonata;
        let allowed = if jsonata {
            fields::for_jsonata_state(type_name)
        } else {
            fields::for_state(type_name)
        };
        let Some(allowed) = allowed else {
            self.problem(
                format!("The value '{type_name}' is not a valid state type"),
                format!("{ptr}/Type"),
            );
            return None;
        };
        for key in obj.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let message = if jsonata && fields::JSONPATH_ONLY.contains(&key.as_str()) {
                format!("The field '{key}' is not supported in JSONata states (QueryLanguage JSONata); use Arguments, Output and Assign")
            } else if !jsonata && fields::JSONATA_ONLY.contains(&key.as_str()) {
                format!(
                    "The field '{key}' is only supported in JSONata states (QueryLanguage JSONata)"
                )
            } else {
                format!(
                    "The field '{key}' is not supported by Step Functions for a {type_name} state"
                )
            };
            self.problem(message, format!("{ptr}/{}", pointer_escape(key)));
        }
        let before = self.problems.len();
        let input_path = self.path_field(obj, "InputPath", ptr, false);
        let output_path = self.path_field(obj, "OutputPath", ptr, false);
        let has_transition = !matches!(type_name, "Choice" | "Succeed" | "Fail");
        let transition = if has_transition {
            self.transition(obj, ptr, names)
        } else {
            Transition::End
        };
        let assign = self.assign(obj, ptr);
        let output = self.template(obj, "Output", ptr);
        let kind = match type_name {
            "Pass" => StateKind::Pass(Pass {
                result: obj.get("Result").cloned(),
                parameters: self.payload(obj, "Parameters", ptr),
                result_path: self.path_field(obj, "ResultPath", ptr, true),
            }),
            "Task" => StateKind::Task(Box::new(self.task(obj, ptr, names))),
            "Choice" => self.choice(obj, ptr, names),
            "Wait" => StateKind::Wait(self.wait(obj, ptr)),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(Fail {
                error: self.string_or_path(obj, "Error", ptr),
                cause: self.string_or_path(obj, "Cause", ptr),
            }),
            "Parallel" => StateKind::Parallel(Box::new(self.parallel(obj, ptr, names))),
            _ => StateKind::Map(Box::new(self.map(obj, ptr, names))),
        };
        // Branches inside may have changed the current language; this state's is what counts.
        self.language = language;
        (self.problems.len() == before).then(|| State {
            name: name.to_owned(),
            input_path,
            output_path,
            transition,
            kind,
            language,
            assign,
            output,
        })
    }

    /// The state's query language: its own `QueryLanguage`, or the state machine's. A JSONata
    /// state machine cannot contain JSONPath states.
    pub(super) fn state_language(&mut self, obj: &Map<String, Value>, ptr: &str) -> QueryLanguage {
        match obj.get("QueryLanguage") {
            None => self.top_language,
            Some(Value::String(s)) if s == "JSONata" => QueryLanguage::Jsonata,
            Some(Value::String(s)) if s == "JSONPath" => {
                if self.top_language == QueryLanguage::Jsonata {
                    self.problem(
                        "A state cannot use JSONPath when the state machine's QueryLanguage is JSONata",
                        format!("{ptr}/QueryLanguage"),
                    );
                }
                QueryLanguage::JsonPath
            }
            Some(_) => {
                self.problem(
                    "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
                    format!("{ptr}/QueryLanguage"),
                );
                self.top_language
            }
        }
    }

    /// True for a `{% … %}` string in a JSONata state.
    pub(super) fn is_expression(&self, v: &Value) -> bool {
        self.language == QueryLanguage::Jsonata
            && v.as_str()
                .and_then(crate::jsonata::template_expression)
                .is_some()
    }

    /// A JSONata template field (JSONata states only; absent otherwise).
    pub(super) fn template(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> Option<Template> {
        if self.language != QueryLanguage::Jsonata {
            return None;
        }
        let value = obj.get(field)?;
        Some(Template::compile(
            value,
            &format!("{ptr}/{field}"),
            &mut self.problems,
        ))
    }

    /// `Assign`: an object of variable names to values (payload template in JSONPath, JSONata
    /// template in JSONata).
    pub(super) fn assign(&mut self, obj: &Map<String, Value>, ptr: &str) -> Option<Assign> {
        let value = obj.get("Assign")?;
        let aptr = format!("{ptr}/Assign");
        let Value::Object(vars) = value else {
            self.problem(
                "The value for the field 'Assign' must be a JSON object",
                aptr,
            );
            return None;
        };
        for name in vars.keys() {
            let bare = name.strip_suffix(".$").unwrap_or(name);
            if !is_variable_name(bare) {
                self.problem(
                    format!("The variable name '{bare}' is not valid: names start with a letter or '_' and contain only letters, digits and '_'"),
                    format!("{aptr}/{}", pointer_escape(name)),
                );
            } else if bare == "states" {
                self.problem(
                    "The variable name 'states' is reserved",
                    format!("{aptr}/{}", pointer_escape(name)),
                );
            }
        }
        Some(match self.language {
            QueryLanguage::JsonPath => {
                Assign::JsonPath(Payload::compile(value, &aptr, &mut self.problems))
            }
            QueryLanguage::Jsonata => {
                Assign::Jsonata(Template::compile(value, &aptr, &mut self.problems))
            }
        })
    }

    pub(super) fn transition(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        names: &Names<'_>,
    ) -> Transition {
        match (obj.get("Next"), obj.get("End")) {
            (Some(_), Some(_)) => {
                self.problem("The fields 'Next' and 'End' cannot both be set", ptr);
                Transition::End
            }
            (Some(next), None) => self
                .target(next, &format!("{ptr}/Next"), names)
                .map_or(Transition::End, Transition::Next),
            (None, Some(Value::Bool(true))) => Transition::End,
            (None, Some(_)) => {
                self.problem(
                    "The value for the field 'End' must be true",
                    format!("{ptr}/End"),
                );
                Transition::End
            }
            (None, None) => {
                self.problem("These fields are required: [Next, End] (one of them)", ptr);
                Transition::End
            }
        }
    }

    pub(super) fn target(&mut self, next: &Value, ptr: &str, names: &Names<'_>) -> Option<usize> {
        let Value::String(name) = next else {
            self.problem("The value for the field 'Next' must be a string", ptr);
            return None;
        };
        let found = names.get(name.as_str()).copied();
        if found.is_none() {
            self.problems.push(Problem::new(
                MISSING_TRANSITION_TARGET,
                format!("Missing 'Next' target: {name}"),
                ptr,
            ));
        }
        found
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && name.chars().count() <= 80
}
