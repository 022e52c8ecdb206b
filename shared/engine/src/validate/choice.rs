//! A Choice state's rules, in JSONPath (`Variable` and comparison) or JSONata (`Condition`).

use serde_json::{Map, Value};

use super::fields;
use super::states::Names;
use super::Checker;
use crate::definition::{ChoiceBranch, Condition, QueryLanguage, StateKind};

impl Checker {
    pub(super) fn choice(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        names: &Names<'_>,
    ) -> StateKind {
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
    pub(super) fn jsonata_choices(
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
}
