//! Each Step Functions operation quickstep serves, over the same service calls as the REST
//! routes: one implementation of each.

use quickstep_engine::validate;
use serde_json::{json, Value};

use super::arns;
use super::fault::Fault;
use super::history;
use super::paging::Paging;
use super::request::{flag, missing, optional_text, required_text};
use super::settings;
use crate::api::DEFINITION_LIMIT_BYTES;
use crate::callback::{TaskAnswerKind, TaskRequestBody};
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::valid_execution_name;
use crate::records::{epoch_seconds as seconds, Asked, MachineType, StateMachineRecord};
use crate::redrive;
use crate::service::Service;
use crate::sync::describe_fields;
use crate::test_cases;

const MACHINE_MISSING: &str = "StateMachineDoesNotExist";
const EXECUTION_MISSING: &str = "ExecutionDoesNotExist";

/// The operations served, in the order of the README's table.
pub const SERVED: &[&str] = &[
    "CreateStateMachine",
    "DescribeStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "ListStateMachines",
    "ValidateStateMachineDefinition",
    "StartExecution",
    "StartSyncExecution",
    "DescribeExecution",
    "DescribeStateMachineForExecution",
    "ListExecutions",
    "StopExecution",
    "RedriveExecution",
    "GetExecutionHistory",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    "TestState",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "PublishStateMachineVersion",
    "ListStateMachineVersions",
    "DeleteStateMachineVersion",
    "CreateStateMachineAlias",
    "DescribeStateMachineAlias",
    "UpdateStateMachineAlias",
    "DeleteStateMachineAlias",
    "ListStateMachineAliases",
];

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Runs `operation` on its request body.
    pub(super) async fn operation(
        &self,
        operation: &str,
        request: &Value,
        deadline: Option<quickstep_engine::execution::Millis>,
    ) -> Result<Value, Fault> {
        match operation {
            "CreateStateMachine" => self.create_state_machine(request).await,
            "DescribeStateMachine" => self.describe_state_machine(request).await,
            "UpdateStateMachine" => self.update_state_machine(request).await,
            "ValidateStateMachineDefinition" => validate_definition(request),
            "StartExecution" => self.start_execution(request, deadline).await,
            "StartSyncExecution" => self.start_sync_execution(request, deadline).await,
            "DescribeExecution" => {
                let arn = execution_arn(request)?;
                let record = self
                    .execution(arn)
                    .await
                    .map_err(|e| Fault::from_service(e, EXECUTION_MISSING))?;
                let mut body = describe_fields(&record);
                body["redriveCount"] = json!(record.snapshot.redrive_count);
                match redrive::not_redrivable(&record, self.clock.now()) {
                    None => body["redriveStatus"] = json!("REDRIVABLE"),
                    Some(why) => {
                        body["redriveStatus"] = json!("NOT_REDRIVABLE");
                        body["redriveStatusReason"] = json!(why);
                    }
                }
                if let Some(date) = redrive::redrive_date(&record) {
                    body["redriveDate"] = json!(seconds(date));
                }
                Ok(body)
            }
            "StopExecution" => {
                let arn = execution_arn(request)?;
                let error = optional_text(request, "error")?;
                let cause = optional_text(request, "cause")?;
                let stopped = self
                    .stop(arn, error, cause)
                    .await
                    .map_err(|e| Fault::from_service(e, EXECUTION_MISSING))?;
                Ok(json!({"stopDate": stopped.get("stopDate").cloned().unwrap_or(Value::Null)}))
            }
            "GetExecutionHistory" => {
                let arn = execution_arn(request)?;
                let paging = Paging::of(request)?;
                let reverse = flag(request, "reverseOrder", false)?;
                let include_data = flag(request, "includeExecutionData", true)?;
                let record = self
                    .execution_with_history(arn)
                    .await
                    .map_err(|e| Fault::from_service(e, EXECUTION_MISSING))?;
                history::page(&record.snapshot.history, &paging, reverse, include_data)
            }
            "RedriveExecution" => {
                let arn = execution_arn(request)?;
                let token = client_token(request)?;
                self.redrive(arn, token.as_deref())
                    .await
                    .map_err(|e| Fault::from_service(e, EXECUTION_MISSING))
            }
            "SendTaskSuccess" => self.send_task(TaskAnswerKind::Success, request).await,
            "SendTaskFailure" => self.send_task(TaskAnswerKind::Failure, request).await,
            "SendTaskHeartbeat" => self.send_task(TaskAnswerKind::Heartbeat, request).await,
            "ListStateMachines" => self.list_state_machines(request).await,
            "TestState" => self.test_state(request).await,
            "TagResource" => self.tag_resource(request).await,
            "UntagResource" => self.untag_resource(request).await,
            "ListTagsForResource" => self.list_tags_for_resource(request).await,
            "DeleteStateMachine" => self.delete_state_machine(request).await,
            "ListExecutions" => self.list_executions(request).await,
            "DescribeStateMachineForExecution" => {
                self.describe_state_machine_for_execution(request).await
            }
            "PublishStateMachineVersion" => self.publish_state_machine_version(request).await,
            "ListStateMachineVersions" => self.list_state_machine_versions(request).await,
            "DeleteStateMachineVersion" => self.delete_state_machine_version(request).await,
            "CreateStateMachineAlias" => self.create_state_machine_alias(request).await,
            "DescribeStateMachineAlias" => self.describe_state_machine_alias(request).await,
            "UpdateStateMachineAlias" => self.update_state_machine_alias(request).await,
            "DeleteStateMachineAlias" => self.delete_state_machine_alias(request).await,
            "ListStateMachineAliases" => self.list_state_machine_aliases(request).await,
            other => Err(Fault::client(
                "UnknownOperationException",
                format!(
                    "quickstep does not serve the Step Functions operation '{other}' (it serves {})",
                    SERVED.join(", ")
                ),
            )),
        }
    }

    async fn create_state_machine(&self, request: &Value) -> Result<Value, Fault> {
        let name = required_text(request, "name")?;
        let machine_type = machine_type(request)?;
        let definition = definition(request)?;
        let tags = super::tags::create_tags(request)?;
        let publish = publishing(request)?;
        let asked = Asked {
            machine_type: Some(machine_type),
            settings: settings::asked(request)?,
        };
        if let Some(existing) = self
            .store
            .get_state_machine(name)
            .await
            .map_err(|e| Fault::from_service(e.into(), MACHINE_MISSING))?
        {
            // As Step Functions: creating it again with the same definition, type and
            // settings is idempotent.
            let same_settings = asked.settings.over(&existing.settings) == existing.settings;
            if existing.definition == definition
                && existing.machine_type == machine_type
                && same_settings
            {
                return self.published_too(created(&existing), name, publish).await;
            }
            return Err(Fault::client(
                "StateMachineAlreadyExists",
                format!(
                    "State Machine Already Exists: '{}'",
                    self.config.state_machine_arn(name)
                ),
            ));
        }
        let record = self
            .put_revision(name, &definition, &asked)
            .await
            .map_err(|e| match e {
                crate::error::ServiceError::BadRequest(message) => {
                    Fault::client("InvalidName", format!("Invalid Name: '{name}': {message}"))
                }
                other => Fault::from_service(other, MACHINE_MISSING),
            })?;
        self.tag_new_machine(name, tags).await?;
        self.published_too(created(&record), name, publish).await
    }

    /// `answer` with the `stateMachineVersionArn` of the version published of the current
    /// revision of `name`, when the request asked to publish one (`publish`).
    async fn published_too(
        &self,
        mut answer: Value,
        name: &str,
        publish: Option<Option<String>>,
    ) -> Result<Value, Fault> {
        if let Some(description) = publish {
            let version = self.publish(name, None, description).await?;
            answer["stateMachineVersionArn"] = version["stateMachineVersionArn"].clone();
        }
        Ok(answer)
    }

    async fn describe_state_machine(&self, request: &Value) -> Result<Value, Fault> {
        let arn = required_text(request, "stateMachineArn")?;
        let name = match arns::state_machine(arn)? {
            (name, None) => name,
            (name, Some(arns::Qualifier::Version(number))) => {
                return self.describe_version(name, number).await
            }
            (_, Some(arns::Qualifier::Alias(_))) => {
                return Err(Fault::client(
                    "InvalidArn",
                    format!(
                        "Invalid Arn: '{arn}' is an alias's: DescribeStateMachineAlias describes it"
                    ),
                ))
            }
        };
        let record = self
            .get_state_machine(name)
            .await
            .map_err(|e| Fault::from_service(e, MACHINE_MISSING))?;
        Ok(self.machine_description(&record))
    }

    /// DescribeStateMachine's answer for the revision `record`.
    pub(super) fn machine_description(&self, record: &StateMachineRecord) -> Value {
        let mut answer = json!({
            "stateMachineArn": record.arn,
            "name": record.name,
            "status": "ACTIVE",
            "definition": record.definition.to_string(),
            "type": record.machine_type.as_str(),
            "creationDate": seconds(record.created),
            "revisionId": record.revision.to_string(),
        });
        let role = format!("arn:aws:iam::{}:role/quickstep", self.config.account);
        settings::described(&record.settings, role, &mut answer);
        answer
    }

    async fn update_state_machine(&self, request: &Value) -> Result<Value, Fault> {
        let name = arns::state_machine_name(required_text(request, "stateMachineArn")?)?;
        let current = self
            .get_state_machine(name)
            .await
            .map_err(|e| Fault::from_service(e, MACHINE_MISSING))?;
        let publish = publishing(request)?;
        let asked = Asked {
            machine_type: None,
            settings: settings::asked(request)?,
        };
        let definition = match request.get("definition").filter(|d| !d.is_null()) {
            Some(text) => parse_definition(text)?,
            None if asked.settings.is_unset() => {
                // Nothing changes: the current revision.
                return self.published_too(updated(&current), name, publish).await;
            }
            // A new role, logging or tracing configuration is a new revision, as on AWS.
            None => current.definition.clone(),
        };
        let record = self
            .put_revision(name, &definition, &asked)
            .await
            .map_err(|e| Fault::from_service(e, MACHINE_MISSING))?;
        self.published_too(updated(&record), name, publish).await
    }

    async fn start_execution(
        &self,
        request: &Value,
        deadline: Option<quickstep_engine::execution::Millis>,
    ) -> Result<Value, Fault> {
        let (arn, case) = test_cases::split(required_text(request, "stateMachineArn")?);
        let (machine, qualifier) = arns::state_machine(arn)?;
        let target = self.target(machine, qualifier).await?;
        let mut name = execution_name(request)?;
        let input = execution_input(request)?;
        let mocked = match case {
            Some(case) => Some(self.begin_test_case(machine, name, case)?),
            None => None,
        };
        if let Some((mocked_name, _)) = &mocked {
            name = Some(mocked_name);
        }
        let started = self
            .start_async_on(machine, name, input.clone(), 0, &target, deadline)
            .await;
        let started = match started {
            Ok(started) => started,
            Err(e) => {
                if let Some((_, arn)) = &mocked {
                    self.end_test_case(arn);
                }
                return Err(Fault::from_service(e, MACHINE_MISSING));
            }
        };
        if !started.new {
            // Step Functions returns a running execution of the same name and input; any other
            // of that name is ExecutionAlreadyExists.
            let existing = self
                .execution(&started.execution_arn)
                .await
                .map_err(|e| Fault::from_service(e, EXECUTION_MISSING))?;
            if existing.status != "RUNNING" || existing.input != input {
                return Err(Fault::client(
                    "ExecutionAlreadyExists",
                    format!("Execution Already Exists: '{}'", started.execution_arn),
                ));
            }
        }
        Ok(json!({
            "executionArn": started.execution_arn,
            "startDate": seconds(started.start_date),
        }))
    }

    async fn start_sync_execution(
        &self,
        request: &Value,
        deadline: Option<quickstep_engine::execution::Millis>,
    ) -> Result<Value, Fault> {
        let (arn, case) = test_cases::split(required_text(request, "stateMachineArn")?);
        let (machine, qualifier) = arns::state_machine(arn)?;
        let target = self.target(machine, qualifier).await?;
        let name = execution_name(request)?;
        let input = execution_input(request)?;
        let Some(case) = case else {
            return self
                .start_sync_on(machine, name, input, deadline, &target)
                .await
                .map_err(|e| Fault::from_service(e, MACHINE_MISSING));
        };
        let (name, arn) = self.begin_test_case(machine, name, case)?;
        let ended = self
            .start_sync_on(machine, Some(&name), input, deadline, &target)
            .await;
        self.end_test_case(&arn);
        ended.map_err(|e| Fault::from_service(e, MACHINE_MISSING))
    }

    async fn send_task(&self, kind: TaskAnswerKind, request: &Value) -> Result<Value, Fault> {
        let body = TaskRequestBody::read(kind, request, self.config.payload_limit_bytes)
            .map_err(|e| Fault::from_service(e, "TaskDoesNotExist"))?;
        self.answer_task(&body.token, body.answer)
            .await
            .map_err(|e| Fault::from_service(e, "TaskDoesNotExist"))?;
        Ok(json!({}))
    }
}

/// ValidateStateMachineDefinition: every problem `quickstep validate` finds, as diagnostics.
fn validate_definition(request: &Value) -> Result<Value, Fault> {
    let express = machine_type(request)? == MachineType::Express;
    let text = required_text(request, "definition")?;
    let problems = validate::problems_in_text(text, validate::Options { express });
    let limit = match request.get("maxResults").and_then(Value::as_u64) {
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => 100,
    };
    let diagnostics: Vec<Value> = problems
        .iter()
        .take(limit)
        .map(|p| {
            json!({"severity": "ERROR", "code": p.code, "message": p.message, "location": p.location})
        })
        .collect();
    Ok(json!({
        "result": if problems.is_empty() { "OK" } else { "FAIL" },
        "diagnostics": diagnostics,
        "truncated": problems.len() > limit,
    }))
}

/// `publish` and `versionDescription`: whether to publish a version, with its description.
fn publishing(request: &Value) -> Result<Option<Option<String>>, Fault> {
    let publish = flag(request, "publish", false)?;
    let description = super::versions::description(request, "versionDescription")?;
    if description.is_some() && !publish {
        return Err(Fault::validation(
            "A versionDescription can only be set when publish is true",
        ));
    }
    Ok(publish.then_some(description))
}

fn created(record: &StateMachineRecord) -> Value {
    json!({"stateMachineArn": record.arn, "creationDate": seconds(record.created)})
}

fn updated(record: &StateMachineRecord) -> Value {
    json!({"updateDate": seconds(record.created), "revisionId": record.revision.to_string()})
}

fn execution_arn(request: &Value) -> Result<&str, Fault> {
    arns::execution(required_text(request, "executionArn")?)
}

/// RedriveExecution's `clientToken`: 1 to 64 printable ASCII characters without spaces.
fn client_token(request: &Value) -> Result<Option<String>, Fault> {
    let token = optional_text(request, "clientToken")?;
    if let Some(token) = &token {
        if token.is_empty()
            || token.len() > 64
            || !token.bytes().all(|b| (b'!'..=b'~').contains(&b))
        {
            return Err(Fault::validation(format!(
                "1 validation error detected: Value '{token}' at 'clientToken' failed to satisfy \
                 constraint: Member must have length between 1 and 64 and satisfy regular \
                 expression pattern: [!-~]+"
            )));
        }
    }
    Ok(token)
}

/// `type`: `STANDARD` (the default, as Step Functions') or `EXPRESS`.
fn machine_type(request: &Value) -> Result<MachineType, Fault> {
    match optional_text(request, "type")?.as_deref() {
        None | Some("STANDARD") => Ok(MachineType::Standard),
        Some("EXPRESS") => Ok(MachineType::Express),
        Some(other) => Err(Fault::validation(format!(
            "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: \
             Member must satisfy enum value set: [STANDARD, EXPRESS]"
        ))),
    }
}

fn definition(request: &Value) -> Result<Value, Fault> {
    match request.get("definition") {
        None | Some(Value::Null) => Err(missing("definition")),
        Some(text) => parse_definition(text),
    }
}

/// A definition, sent as a string of JSON.
fn parse_definition(text: &Value) -> Result<Value, Fault> {
    let Value::String(text) = text else {
        return Err(Fault::client(
            "SerializationException",
            "'definition' must be a string of JSON",
        ));
    };
    if text.len() > DEFINITION_LIMIT_BYTES {
        return Err(Fault::validation(format!(
            "1 validation error detected: Value at 'definition' failed to satisfy constraint: \
             Member must have length less than or equal to {DEFINITION_LIMIT_BYTES}"
        )));
    }
    serde_json::from_str(text).map_err(|e| {
        Fault::client(
            "InvalidDefinition",
            format!("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {e} at /'"),
        )
    })
}

fn execution_name(request: &Value) -> Result<Option<&str>, Fault> {
    match request.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(_) => {
            let name = required_text(request, "name")?;
            if valid_execution_name(name) {
                Ok(Some(name))
            } else {
                Err(Fault::client(
                    "InvalidName",
                    format!("Invalid Name: '{name}'"),
                ))
            }
        }
    }
}

/// `input`: a string of JSON (absent: `{}`).
fn execution_input(request: &Value) -> Result<Value, Fault> {
    match request.get("input") {
        None | Some(Value::Null) => Ok(json!({})),
        Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
            Fault::client(
                "InvalidExecutionInput",
                format!("Invalid Execution Input: the input is not JSON: {e}"),
            )
        }),
        Some(other) => Err(Fault::client(
            "SerializationException",
            format!("'input' must be a string of JSON, not {other}"),
        )),
    }
}
