//! The HTTP API, independent of how requests arrive (API Gateway REST v1, HTTP v2, function
//! URLs all become a [`Request`]):
//!
//! | route | what |
//! |---|---|
//! | `PUT /state-machines/{name}` | validate and store a new revision |
//! | `GET /state-machines/{name}` | the current definition and revision |
//! | `POST /state-machines/{name}/sync[?name=]` | run an execution within the request |
//! | `POST /state-machines/{name}/executions[?name=]` | start an asynchronous execution (202) |
//! | `GET /executions/{arn}` | describe it |
//! | `GET /executions/{arn}/history` | its history events |
//! | `DELETE /executions/{arn}` | stop it |
//! | `POST /tasks/success` | `SendTaskSuccess`: `{"taskToken", "output"}` (output: a string of JSON) |
//! | `POST /tasks/failure` | `SendTaskFailure`: `{"taskToken", "error", "cause"}` |
//! | `POST /tasks/heartbeat` | `SendTaskHeartbeat`: `{"taskToken"}` |
//!
//! Errors are `{"error": <name>, "message": <text>}` with 400, 404, 405, 409, 413 or 5xx.

use quickstep::execution::Millis;
use serde_json::{json, Value};

use crate::callback::{TaskAnswerKind, TaskRequestBody};
use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::service::Service;

/// A request as the API sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path, percent-encoded or not (`/executions/arn%3Aaws%3A...`).
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The invocation's deadline (ms since the epoch), for synchronous executions.
    pub deadline: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Value,
}

impl Response {
    fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    fn error(status: u16, name: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({"error": name, "message": message.into()}),
        }
    }

    fn from_error(e: &ServiceError) -> Self {
        let (status, name) = e.status_and_name();
        let mut response = Self::error(status, name, e.to_string());
        if let ServiceError::InvalidDefinition(problems) = e {
            response.body["problems"] = json!(problems);
        }
        response
    }
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Answers one API request.
    pub async fn handle(&self, request: &Request) -> Response {
        match self.route(request).await {
            Ok(response) => response,
            Err(e) => Response::from_error(&e),
        }
    }

    async fn route(&self, request: &Request) -> Result<Response, ServiceError> {
        let path = percent_decode(&request.path);
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let method = request.method.to_ascii_uppercase();
        let name = request
            .query
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.as_str());
        match (method.as_str(), segments.as_slice()) {
            ("PUT", ["state-machines", machine]) => {
                let definition = json_body(&request.body, "an ASL definition")?;
                let record = self.put_state_machine(machine, &definition).await?;
                Ok(Response::ok(json!({
                    "name": record.name,
                    "revision": record.revision,
                    "stateMachineArn": record.arn,
                })))
            }
            ("GET", ["state-machines", machine]) => {
                let record = self.get_state_machine(machine).await?;
                Ok(Response::ok(json!({
                    "name": record.name,
                    "revision": record.revision,
                    "stateMachineArn": record.arn,
                    "definition": record.definition,
                })))
            }
            ("POST", ["state-machines", machine, "sync"]) => {
                let input = input_body(&request.body)?;
                let body = self
                    .start_sync(machine, name, input, request.deadline)
                    .await?;
                Ok(Response::ok(body))
            }
            ("POST", ["state-machines", machine, "executions"]) => {
                let input = input_body(&request.body)?;
                let started = self.start_async(machine, name, input).await?;
                #[allow(clippy::cast_precision_loss)]
                let start = started.start_date as f64 / 1000.0;
                Ok(Response {
                    status: if started.new { 202 } else { 200 },
                    body: json!({"executionArn": started.execution_arn, "startDate": start}),
                })
            }
            ("GET", ["executions", arn]) => Ok(Response::ok(self.describe(arn).await?)),
            ("GET", ["executions", arn, "history"]) => Ok(Response::ok(self.history(arn).await?)),
            ("DELETE", ["executions", arn]) => {
                let body = if request.body.is_empty() {
                    Value::Null
                } else {
                    json_body(&request.body, "a stop request")?
                };
                let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
                Ok(Response::ok(
                    self.stop(arn, field("error"), field("cause")).await?,
                ))
            }
            ("POST", ["tasks", "success"]) => self.answer(TaskAnswerKind::Success, request).await,
            ("POST", ["tasks", "failure"]) => self.answer(TaskAnswerKind::Failure, request).await,
            ("POST", ["tasks", "heartbeat"]) => {
                self.answer(TaskAnswerKind::Heartbeat, request).await
            }
            (
                _,
                ["state-machines", _]
                | ["state-machines", _, "sync" | "executions"]
                | ["executions", _]
                | ["executions", _, "history"]
                | ["tasks", "success" | "failure" | "heartbeat"],
            ) => Ok(Response::error(
                405,
                "MethodNotAllowed",
                format!("{method} is not allowed on {path}"),
            )),
            _ => Ok(Response::error(
                404,
                "NotFound",
                format!("no route for {method} {path}"),
            )),
        }
    }
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// `SendTaskSuccess`, `SendTaskFailure` or `SendTaskHeartbeat`: 200 `{}` once applied.
    async fn answer(
        &self,
        kind: TaskAnswerKind,
        request: &Request,
    ) -> Result<Response, ServiceError> {
        let body = json_body(&request.body, "a task token request")?;
        let request = TaskRequestBody::read(kind, &body, self.config.payload_limit_bytes)?;
        self.answer_task(&request.token, request.answer).await?;
        Ok(Response::ok(json!({})))
    }
}

fn json_body(body: &[u8], what: &str) -> Result<Value, ServiceError> {
    serde_json::from_slice(body).map_err(|e| {
        ServiceError::BadRequest(format!(
            "the request body must be {what} in JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// An execution input: an empty body is `{}`, as AWS treats a missing input.
fn input_body(body: &[u8]) -> Result<Value, ServiceError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    json_body(body, "the execution input")
}

/// Decodes `%XX` escapes (execution ARNs arrive encoded in paths); anything malformed is kept.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_percent_escapes_and_keeps_malformed_ones() {
        assert_eq!(
            percent_decode("/executions/arn%3Aaws%3Astates"),
            "/executions/arn:aws:states"
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zzb"), "a%zzb");
        assert_eq!(percent_decode("%41"), "A");
    }
}
