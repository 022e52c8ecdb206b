//! Checking each state type's fields and building its checked form.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::fields;
use super::resource::classify;
use super::Checker;
use crate::definition::{
    Assign, Catcher, ChoiceBranch, Condition, Fail, IntOrPath, ItemBatcher, ItemSelector,
    ItemsSource, Jitter, Map as MapState, NumberOrPath, Parallel, Pass, PathField, Payload,
    QueryLanguage, Retrier, State, StateKind, StringOrPath, Task, Template, Transition, Wait,
    WaitFor,
};
use crate::intrinsics::Intrinsic;
use crate::jsonpath::{Path, Root};
use crate::problem::{pointer_escape, Problem, MISSING_TRANSITION_TARGET};
use crate::timestamp;

type Names<'a> = HashMap<&'a str, usize>;

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
    fn state_language(&mut self, obj: &Map<String, Value>, ptr: &str) -> QueryLanguage {
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
    fn is_expression(&self, v: &Value) -> bool {
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
    fn assign(&mut self, obj: &Map<String, Value>, ptr: &str) -> Option<Assign> {
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

    fn transition(&mut self, obj: &Map<String, Value>, ptr: &str, names: &Names<'_>) -> Transition {
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

    fn target(&mut self, next: &Value, ptr: &str, names: &Names<'_>) -> Option<usize> {
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

    /// `InputPath`, `OutputPath`, `ResultPath` (reference paths only, rooted at `$`), `ItemsPath`.
    fn path_field(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
        reference: bool,
    ) -> PathField {
        match obj.get(field) {
            None => PathField::Whole,
            Some(Value::Null) => PathField::Discard,
            Some(Value::String(text)) => {
                let parsed = if reference {
                    // ResultPath writes into the state's input: a reference path rooted at `$`.
                    Path::parse_reference(text)
                        .ok()
                        .filter(|p| *p.root() == Root::Input)
                } else {
                    Path::parse(text).ok()
                };
                match parsed {
                    Some(p) => PathField::Path(p),
                    None => {
                        let kind = if reference {
                            "a valid Reference Path"
                        } else {
                            "a valid JSONPath"
                        };
                        self.problem(
                            format!("The value for the field '{field}' must be {kind}"),
                            format!("{ptr}/{field}"),
                        );
                        PathField::Whole
                    }
                }
            }
            Some(_) => {
                self.problem(
                    format!("The value for the field '{field}' must be a string or null"),
                    format!("{ptr}/{field}"),
                );
                PathField::Whole
            }
        }
    }

    fn path(&mut self, obj: &Map<String, Value>, field: &str, ptr: &str) -> Option<Path> {
        match obj.get(field)? {
            Value::String(text) => match Path::parse(text) {
                Ok(p) => Some(p),
                Err(_) => {
                    self.problem(
                        format!("The value for the field '{field}' must be a valid JSONPath"),
                        format!("{ptr}/{field}"),
                    );
                    None
                }
            },
            _ => {
                self.problem(
                    format!("The value for the field '{field}' must be a valid JSONPath"),
                    format!("{ptr}/{field}"),
                );
                None
            }
        }
    }

    fn payload(&mut self, obj: &Map<String, Value>, field: &str, ptr: &str) -> Option<Payload> {
        let value = obj.get(field)?;
        Some(Payload::compile(
            value,
            &format!("{ptr}/{field}"),
            &mut self.problems,
        ))
    }

    /// True (and a problem recorded) if both `field` and `{field}Path` are given: the two are
    /// alternatives.
    fn field_and_path_both_set(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> bool {
        let path_field = format!("{field}Path");
        let both = obj.contains_key(field) && obj.contains_key(&path_field);
        if both {
            self.problem(
                format!("The fields '{field}' and '{path_field}' cannot both be set"),
                ptr,
            );
        }
        both
    }

    /// A field that may be given literally or as `{field}Path`, but not both.
    fn int_or_path(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
        min: i64,
        max: i64,
    ) -> Option<IntOrPath> {
        if self.field_and_path_both_set(obj, field, ptr) {
            return None;
        }
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.contains_key(&path_field)) {
            (Some(v), _) if self.is_expression(v) => {
                self.template(obj, field, ptr).map(IntOrPath::Expression)
            }
            (Some(v), _) => match v.as_i64().filter(|n| (min..=max).contains(n)) {
                Some(n) if v.is_i64() || v.is_u64() => Some(IntOrPath::Value(n)),
                _ => {
                    self.problem(
                        format!("The value for the field '{field}' must be an integer between {min} and {max}"),
                        format!("{ptr}/{field}"),
                    );
                    None
                }
            },
            (None, true) => self.path(obj, &path_field, ptr).map(IntOrPath::Path),
            (None, false) => None,
        }
    }

    fn string_or_path(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> Option<StringOrPath> {
        if self.field_and_path_both_set(obj, field, ptr) {
            return None;
        }
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.get(&path_field)) {
            (Some(v), _) if self.is_expression(v) => {
                self.template(obj, field, ptr).map(StringOrPath::Expression)
            }
            (Some(Value::String(s)), _) => Some(StringOrPath::Value(s.clone())),
            (Some(_), _) => {
                self.problem(
                    format!("The value for the field '{field}' must be a string"),
                    format!("{ptr}/{field}"),
                );
                None
            }
            (None, Some(Value::String(text))) if Intrinsic::looks_like_call(text) => {
                match Intrinsic::parse(text) {
                    Ok(call) => Some(StringOrPath::Intrinsic(call)),
                    Err(e) => {
                        self.problem(
                            format!("The value for the field '{path_field}' must be a valid JSONPath or a valid intrinsic function call: {e}"),
                            format!("{ptr}/{path_field}"),
                        );
                        None
                    }
                }
            }
            (None, Some(_)) => self.path(obj, &path_field, ptr).map(StringOrPath::Path),
            (None, None) => None,
        }
    }

    fn task(&mut self, obj: &Map<String, Value>, ptr: &str, names: &Names<'_>) -> Task {
        let resource = match obj.get("Resource") {
            Some(Value::String(r)) => {
                if let Err(message) = classify(r, self.options.express) {
                    self.problem(message, format!("{ptr}/Resource"));
                }
                r.clone()
            }
            Some(_) => {
                self.problem(
                    "The value for the field 'Resource' must be a string",
                    format!("{ptr}/Resource"),
                );
                String::new()
            }
            None => {
                self.problem("These fields are required: [Resource]", ptr);
                String::new()
            }
        };
        const MAX_SECONDS: i64 = 99_999_999;
        let timeout_seconds = self.int_or_path(obj, "TimeoutSeconds", ptr, 1, MAX_SECONDS);
        let heartbeat_seconds = self.int_or_path(obj, "HeartbeatSeconds", ptr, 1, MAX_SECONDS);
        if let (Some(IntOrPath::Value(t)), Some(IntOrPath::Value(h))) =
            (&timeout_seconds, &heartbeat_seconds)
        {
            if h >= t {
                self.problem(
                    "The value of 'HeartbeatSeconds' must be smaller than the value of 'TimeoutSeconds'",
                    format!("{ptr}/HeartbeatSeconds"),
                );
            }
        }
        Task {
            resource,
            parameters: self.payload(obj, "Parameters", ptr),
            arguments: self.template(obj, "Arguments", ptr),
            result_selector: self.payload(obj, "ResultSelector", ptr),
            result_path: self.path_field(obj, "ResultPath", ptr, true),
            retry: self.retry(obj, ptr),
            catch: self.catch(obj, ptr, names),
            timeout_seconds,
            heartbeat_seconds,
            credentials: self.credentials(obj, ptr),
        }
    }

    /// `Credentials`: an object with `RoleArn` (or `RoleArn.$` in JSONPath).
    fn credentials(&mut self, obj: &Map<String, Value>, ptr: &str) -> Option<Payload> {
        let value = obj.get("Credentials")?;
        let cptr = format!("{ptr}/Credentials");
        match value {
            Value::Object(c) if c.contains_key("RoleArn") || c.contains_key("RoleArn.$") => {}
            Value::Object(_) => self.problem(
                "The field 'RoleArn' is required but was missing",
                cptr.clone(),
            ),
            _ => self.problem(
                "The value for the field 'Credentials' must be a JSON object",
                cptr.clone(),
            ),
        }
        Some(Payload::compile(value, &cptr, &mut self.problems))
    }

    fn choice(&mut self, obj: &Map<String, Value>, ptr: &str, names: &Names<'_>) -> StateKind {
        let choices_ptr = format!("{ptr}/Choices");
        let mut choices = Vec::new();
        match obj.get("Choices") {
            None => self.problem("These fields are required: [Choices]", ptr),
            Some(Value::Array(a)) if a.is_empty() => {
                self.problem(
                    "The field 'Choices' must contain at least one rule",
                    choices_ptr.clone(),
                );
            }
            Some(value) if self.language == QueryLanguage::Jsonata => {
                choices = self.jsonata_choices(value, &choices_ptr, names);
            }
            Some(value) => match crate::choice::compile_choices(value, &choices_ptr) {
                Ok(compiled) => {
                    for (i, choice) in compiled.into_iter().enumerate() {
                        let rule_ptr = format!("{choices_ptr}/{i}");
                        let next_ptr = format!("{rule_ptr}/Next");
                        let assign = match value.get(i) {
                            Some(Value::Object(rule)) => self.assign(rule, &rule_ptr),
                            _ => None,
                        };
                        if let Some(next) =
                            self.target(&Value::String(choice.next.clone()), &next_ptr, names)
                        {
                            choices.push(ChoiceBranch {
                                condition: Condition::Rule(choice.rule),
                                next,
                                assign,
                                output: None,
                            });
                        }
                    }
                }
                Err(problems) => self.problems.extend(problems),
            },
        }
        let default = obj
            .get("Default")
            .and_then(|d| self.target(d, &format!("{ptr}/Default"), names));
        StateKind::Choice { choices, default }
    }

    /// JSONata Choice rules: `Condition`, `Next`, and optionally `Assign` and `Output`.
    fn jsonata_choices(
        &mut self,
        value: &Value,
        choices_ptr: &str,
        names: &Names<'_>,
    ) -> Vec<ChoiceBranch> {
        let Value::Array(rules) = value else {
            self.problem("The field 'Choices' must be an array", choices_ptr);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let rule_ptr = format!("{choices_ptr}/{i}");
            let Value::Object(rule) = rule else {
                self.problem("A choice rule must be a JSON object", rule_ptr);
                continue;
            };
            self.unknown_fields(rule, fields::CHOICE_RULE_JSONATA, &rule_ptr);
            let condition = self.template(rule, "Condition", &rule_ptr);
            if condition.is_none() {
                self.problem("These fields are required: [Condition]", rule_ptr.clone());
            }
            let next = match rule.get("Next") {
                Some(n) => self.target(n, &format!("{rule_ptr}/Next"), names),
                None => {
                    self.problem("These fields are required: [Next]", rule_ptr.clone());
                    None
                }
            };
            let assign = self.assign(rule, &rule_ptr);
            let output = self.template(rule, "Output", &rule_ptr);
            if let (Some(condition), Some(next)) = (condition, next) {
                out.push(ChoiceBranch {
                    condition: Condition::Jsonata(condition),
                    next,
                    assign,
                    output,
                });
            }
        }
        out
    }

    fn wait(&mut self, obj: &Map<String, Value>, ptr: &str) -> Wait {
        let given: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|f| obj.contains_key(*f))
            .collect();
        if given.len() != 1 {
            self.problem(
                "A Wait state must have exactly one of the fields [Seconds, SecondsPath, Timestamp, TimestampPath]",
                ptr,
            );
            return Wait {
                wait_for: WaitFor::Seconds(0),
            };
        }
        let field = given[0];
        if obj.get(field).is_some_and(|v| self.is_expression(v)) {
            let template = self.template(obj, field, ptr);
            return Wait {
                wait_for: match (field, template) {
                    ("Seconds", Some(t)) => WaitFor::SecondsExpression(t),
                    (_, Some(t)) => WaitFor::TimestampExpression(t),
                    _ => WaitFor::Seconds(0),
                },
            };
        }
        let wait_for = match field {
            "Seconds" => match obj
                .get("Seconds")
                .and_then(Value::as_i64)
                .filter(|n| (0..=99_999_999).contains(n))
            {
                Some(n) => WaitFor::Seconds(n),
                None => {
                    self.problem(
                        "The value for the field 'Seconds' must be an integer between 0 and 99999999",
                        format!("{ptr}/Seconds"),
                    );
                    WaitFor::Seconds(0)
                }
            },
            "Timestamp" => match obj
                .get("Timestamp")
                .and_then(Value::as_str)
                .and_then(timestamp::parse_millis)
            {
                Some(ms) => WaitFor::Timestamp(ms),
                None => {
                    self.problem(
                        "String does not match RFC3339 timestamp",
                        format!("{ptr}/Timestamp"),
                    );
                    WaitFor::Seconds(0)
                }
            },
            "SecondsPath" => self
                .path(obj, "SecondsPath", ptr)
                .map_or(WaitFor::Seconds(0), WaitFor::SecondsPath),
            _ => self
                .path(obj, "TimestampPath", ptr)
                .map_or(WaitFor::Seconds(0), WaitFor::TimestampPath),
        };
        Wait { wait_for }
    }

    fn parallel(&mut self, obj: &Map<String, Value>, ptr: &str, names: &Names<'_>) -> Parallel {
        let mut branches = Vec::new();
        match obj.get("Branches") {
            Some(Value::Array(list)) if !list.is_empty() => {
                for (i, b) in list.iter().enumerate() {
                    let bptr = format!("{ptr}/Branches/{i}");
                    match b {
                        Value::Object(bobj) => branches.push(self.branch(bobj, &bptr, false)),
                        _ => self.problem("A branch must be a JSON object", bptr),
                    }
                }
            }
            Some(_) => self.problem(
                "The field 'Branches' must be a non-empty array",
                format!("{ptr}/Branches"),
            ),
            None => self.problem("These fields are required: [Branches]", ptr),
        }
        Parallel {
            branches,
            parameters: self.payload(obj, "Parameters", ptr),
            arguments: self.template(obj, "Arguments", ptr),
            result_selector: self.payload(obj, "ResultSelector", ptr),
            result_path: self.path_field(obj, "ResultPath", ptr, true),
            retry: self.retry(obj, ptr),
            catch: self.catch(obj, ptr, names),
        }
    }

    fn map(&mut self, obj: &Map<String, Value>, ptr: &str, names: &Names<'_>) -> MapState {
        for unsupported in ["ItemReader", "ResultWriter"] {
            if obj.contains_key(unsupported) {
                self.problem(
                    format!("The field '{unsupported}' (Distributed Map reading or writing S3) is not supported by quickstep; Map states run their items inline"),
                    format!("{ptr}/{unsupported}"),
                );
            }
        }
        let (processor_field, processor) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", Some(p)),
            (None, Some(i)) => ("Iterator", Some(i)),
            (Some(_), Some(_)) => {
                self.problem(
                    "The fields 'ItemProcessor' and 'Iterator' cannot both be set",
                    ptr,
                );
                ("ItemProcessor", None)
            }
            (None, None) => {
                self.problem("These fields are required: [ItemProcessor]", ptr);
                ("ItemProcessor", None)
            }
        };
        let pptr = format!("{ptr}/{processor_field}");
        let mut distributed = false;
        let processor = match processor {
            Some(Value::Object(pobj)) => {
                if let Some(config) = pobj.get("ProcessorConfig") {
                    match config.get("Mode").and_then(Value::as_str) {
                        Some("DISTRIBUTED") => distributed = true,
                        Some("INLINE") | None => {}
                        Some(_) => self.problem(
                            "The value for the field 'Mode' must be one of [INLINE, DISTRIBUTED]",
                            format!("{pptr}/ProcessorConfig/Mode"),
                        ),
                    }
                }
                self.branch(pobj, &pptr, false)
            }
            Some(_) => {
                self.problem(
                    format!("The field '{processor_field}' must be a JSON object"),
                    pptr,
                );
                0
            }
            None => 0,
        };
        let item_selector = match (
            obj.contains_key("ItemSelector"),
            obj.contains_key("Parameters"),
        ) {
            (true, true) => {
                self.problem(
                    "The fields 'ItemSelector' and 'Parameters' cannot both be set",
                    ptr,
                );
                None
            }
            (true, false) if self.language == QueryLanguage::Jsonata => self
                .template(obj, "ItemSelector", ptr)
                .map(ItemSelector::Jsonata),
            (true, false) => self
                .payload(obj, "ItemSelector", ptr)
                .map(ItemSelector::JsonPath),
            (false, _) => self
                .payload(obj, "Parameters", ptr)
                .map(ItemSelector::JsonPath),
        };
        let items = if self.language == QueryLanguage::Jsonata {
            ItemsSource::Jsonata(self.template(obj, "Items", ptr))
        } else {
            ItemsSource::Path(self.path_field(obj, "ItemsPath", ptr, false))
        };
        let tolerated_failure_percentage = self.percentage(obj, ptr);
        let item_batcher = self.item_batcher(obj, ptr, distributed);
        MapState {
            processor,
            items,
            item_selector,
            max_concurrency: self
                .int_or_path(obj, "MaxConcurrency", ptr, 0, i64::from(i32::MAX))
                .unwrap_or(IntOrPath::Value(0)),
            tolerated_failure_count: self.int_or_path(
                obj,
                "ToleratedFailureCount",
                ptr,
                0,
                i64::from(i32::MAX),
            ),
            tolerated_failure_percentage,
            result_selector: self.payload(obj, "ResultSelector", ptr),
            result_path: self.path_field(obj, "ResultPath", ptr, true),
            retry: self.retry(obj, ptr),
            catch: self.catch(obj, ptr, names),
            distributed,
            item_batcher,
        }
    }

    fn item_batcher(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        distributed: bool,
    ) -> Option<ItemBatcher> {
        let value = obj.get("ItemBatcher")?;
        let bptr = format!("{ptr}/ItemBatcher");
        let Value::Object(batcher) = value else {
            self.problem("The field 'ItemBatcher' must be a JSON object", bptr);
            return None;
        };
        if !distributed {
            self.problem("The field 'ItemBatcher' is only supported when ProcessorConfig.Mode is DISTRIBUTED", bptr.clone());
        }
        self.unknown_fields(batcher, fields::ITEM_BATCHER, &bptr);
        Some(ItemBatcher {
            max_items_per_batch: self.int_or_path(
                batcher,
                "MaxItemsPerBatch",
                &bptr,
                1,
                i64::from(i32::MAX),
            ),
            max_input_bytes_per_batch: self.int_or_path(
                batcher,
                "MaxInputBytesPerBatch",
                &bptr,
                1,
                256 * 1024,
            ),
            batch_input: self.payload(batcher, "BatchInput", &bptr),
        })
    }

    fn percentage(&mut self, obj: &Map<String, Value>, ptr: &str) -> Option<NumberOrPath> {
        const FIELD: &str = "ToleratedFailurePercentage";
        if self.field_and_path_both_set(obj, FIELD, ptr) {
            return None;
        }
        match (
            obj.get(FIELD),
            obj.contains_key("ToleratedFailurePercentagePath"),
        ) {
            (Some(v), _) if self.is_expression(v) => {
                self.template(obj, FIELD, ptr).map(NumberOrPath::Expression)
            }
            (Some(v), _) => {
                match v.as_f64().filter(|n| (0.0..=100.0).contains(n)) {
                    Some(n) => Some(NumberOrPath::Value(n)),
                    None => {
                        self.problem(
                        format!("The value for the field '{FIELD}' must be a number between 0 and 100"),
                        format!("{ptr}/{FIELD}"),
                    );
                        None
                    }
                }
            }
            (None, true) => self
                .path(obj, "ToleratedFailurePercentagePath", ptr)
                .map(NumberOrPath::Path),
            (None, false) => None,
        }
    }

    fn error_equals(&mut self, obj: &Map<String, Value>, ptr: &str) -> Vec<String> {
        match obj.get("ErrorEquals") {
            Some(Value::Array(list)) if !list.is_empty() => {
                let names: Vec<String> = list
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                if names.len() != list.len() {
                    self.problem(
                        "The values of 'ErrorEquals' must be strings",
                        format!("{ptr}/ErrorEquals"),
                    );
                }
                if names.iter().any(|n| n == crate::failure::names::ALL) && names.len() > 1 {
                    self.problem(
                        "States.ALL must appear alone in ErrorEquals",
                        format!("{ptr}/ErrorEquals"),
                    );
                }
                names
            }
            Some(_) => {
                self.problem(
                    "The field 'ErrorEquals' must be a non-empty array of strings",
                    format!("{ptr}/ErrorEquals"),
                );
                Vec::new()
            }
            None => {
                self.problem("These fields are required: [ErrorEquals]", ptr);
                Vec::new()
            }
        }
    }

    fn retry(&mut self, obj: &Map<String, Value>, ptr: &str) -> Vec<Retrier> {
        let Some(list) = self.array_of_objects(obj, "Retry", ptr) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in list.iter().enumerate() {
            let rptr = format!("{ptr}/Retry/{i}");
            let Value::Object(r) = r else { continue };
            self.unknown_fields(r, fields::RETRIER, &rptr);
            let error_equals = self.error_equals(r, &rptr);
            let interval_seconds = self
                .bounded_u64(r, "IntervalSeconds", &rptr, 1, 99_999_999)
                .unwrap_or(1);
            let max_attempts = self
                .bounded_u64(r, "MaxAttempts", &rptr, 0, 99_999_999)
                .unwrap_or(3);
            let max_delay_seconds = self.bounded_u64(r, "MaxDelaySeconds", &rptr, 1, 31_622_400);
            let backoff_rate = match r.get("BackoffRate") {
                None => 2.0,
                Some(v) => match v.as_f64().filter(|b| *b >= 1.0) {
                    Some(b) => b,
                    None => {
                        self.problem("The value for the field 'BackoffRate' must be a number not less than 1.0", format!("{rptr}/BackoffRate"));
                        2.0
                    }
                },
            };
            let jitter = match r.get("JitterStrategy").map(Value::as_str) {
                None | Some(Some("NONE")) => Jitter::None,
                Some(Some("FULL")) => Jitter::Full,
                Some(_) => {
                    self.problem(
                        "The value for the field 'JitterStrategy' must be one of [FULL, NONE]",
                        format!("{rptr}/JitterStrategy"),
                    );
                    Jitter::None
                }
            };
            out.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
                backoff_rate,
                max_delay_seconds,
                jitter,
            });
        }
        out
    }

    fn catch(&mut self, obj: &Map<String, Value>, ptr: &str, names: &Names<'_>) -> Vec<Catcher> {
        let Some(list) = self.array_of_objects(obj, "Catch", ptr) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let cptr = format!("{ptr}/Catch/{i}");
            let Value::Object(c) = c else { continue };
            let allowed = if self.language == QueryLanguage::Jsonata {
                fields::JSONATA_CATCHER
            } else {
                fields::CATCHER
            };
            self.unknown_fields(c, allowed, &cptr);
            let error_equals = self.error_equals(c, &cptr);
            let result_path = self.path_field(c, "ResultPath", &cptr, true);
            let output = self.template(c, "Output", &cptr);
            let assign = self.assign(c, &cptr);
            let next = match c.get("Next") {
                Some(n) => self.target(n, &format!("{cptr}/Next"), names),
                None => {
                    self.problem("These fields are required: [Next]", cptr.clone());
                    None
                }
            };
            if let Some(next) = next {
                out.push(Catcher {
                    error_equals,
                    next,
                    result_path,
                    output,
                    assign,
                });
            }
        }
        out
    }

    fn array_of_objects<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> Option<&'v Vec<Value>> {
        match obj.get(field)? {
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    if !v.is_object() {
                        self.problem(
                            format!("Each entry of '{field}' must be a JSON object"),
                            format!("{ptr}/{field}/{i}"),
                        );
                    }
                }
                Some(list)
            }
            _ => {
                self.problem(
                    format!("The field '{field}' must be an array"),
                    format!("{ptr}/{field}"),
                );
                None
            }
        }
    }

    fn bounded_u64(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        let v = obj.get(field)?;
        match v.as_u64().filter(|n| (min..=max).contains(n)) {
            Some(n) => Some(n),
            None => {
                self.problem(
                    format!("The value for the field '{field}' must be an integer between {min} and {max}"),
                    format!("{ptr}/{field}"),
                );
                None
            }
        }
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && name.chars().count() <= 80
}
