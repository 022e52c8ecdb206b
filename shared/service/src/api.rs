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
//! | `GET /executions/{arn}/graph` | its page: the graph coloured by what happened, its events, each state's data on a click (HTML) |
//! | `DELETE /executions/{arn}` | stop it |
//! | `POST /tasks/success` | `SendTaskSuccess`: `{"taskToken", "output"}` (output: a string of JSON) |
//! | `POST /tasks/failure` | `SendTaskFailure`: `{"taskToken", "error", "cause"}` |
//! | `POST /tasks/heartbeat` | `SendTaskHeartbeat`: `{"taskToken"}` |
//!
//! Errors are `{"error": <name>, "message": <text>}` with 400, 404, 405, 409, 413 or 5xx.
//!
//! `POST /` with an `X-Amz-Target` header is the Step Functions API (AWS JSON 1.0), served by
//! [`crate::stepfunctions`] over the same operations.
//!
//! At the boundary: a body larger than its route allows is refused (413) before it is parsed;
//! an execution name is checked as `StartExecution` checks it (`InvalidName`); and a 5xx never
//! carries the internal error (an SDK's message, a resource's ARN): the answer names the request
//! id, and [`Service::respond`] hands the error to the caller to log under that id.

use quickstep_engine::execution::Millis;
use serde_json::{json, Value};

use crate::callback::{TaskAnswerKind, TaskRequestBody};
use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::epoch_seconds;
use crate::records::valid_execution_name;
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
    /// The `X-Amz-Target` header: a Step Functions API request (see [`crate::stepfunctions`]).
    pub target: Option<String>,
}

impl Request {
    /// The `name=value` pairs of a raw query string (`a=1&b`), as the routes read them.
    pub fn query_pairs(raw: &str) -> Vec<(String, String)> {
        raw.split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    /// The content type of the answer: AWS JSON 1.0's for a Step Functions API request (one
    /// with an `X-Amz-Target`), JSON otherwise.
    pub fn answer_content_type(&self) -> &'static str {
        crate::stepfunctions::content_type(self.target.is_some())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Value,
    /// An HTML page answered instead of `body` (`GET /executions/{arn}/graph`).
    pub page: Option<String>,
}

/// The largest definition `PUT /state-machines/{name}` takes, in bytes: Step Functions' limit
/// on a state machine definition (1 MiB).
pub const DEFINITION_LIMIT_BYTES: usize = 1024 * 1024;

/// The largest body of the other requests that are not an execution input (task answers, stop
/// requests), in bytes: Step Functions' limit on an API request (1 MiB). An execution input's
/// limit is the configured payload limit.
pub const REQUEST_LIMIT_BYTES: usize = 1024 * 1024;

/// An answer, and the internal error behind a 5xx, which the answer does not show: the caller
/// logs it under the request id the answer names.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub response: Response,
    pub internal_error: Option<ServiceError>,
}

impl Response {
    pub fn new(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            page: None,
        }
    }

    fn ok(body: Value) -> Self {
        Self::new(200, body)
    }

    fn error(status: u16, name: &str, message: impl Into<String>) -> Self {
        Self::new(status, json!({"error": name, "message": message.into()}))
    }

    /// The answer's body as sent: the page, or the JSON text.
    pub fn text(&self) -> String {
        match &self.page {
            Some(page) => page.clone(),
            None => self.body.to_string(),
        }
    }

    /// The answer's content type: HTML for a page, else `request`'s (see
    /// [`Request::answer_content_type`]).
    pub fn content_type(&self, request: &Request) -> &'static str {
        if self.page.is_some() {
            "text/html; charset=utf-8"
        } else {
            request.answer_content_type()
        }
    }

    /// The answer to a failed request. An internal error (5xx) is not shown: the SDK's message
    /// or a resource's ARN is nothing a client can act on, and may tell it more than it should
    /// know. The message names `request_id`, under which the caller logs the error.
    fn from_error(e: &ServiceError, request_id: Option<&str>) -> Self {
        let (status, name) = e.status_and_name();
        if e.is_internal() {
            let retry = if status == 503 {
                "try again later"
            } else {
                "the error is in the function's log"
            };
            let message = match request_id {
                Some(id) => format!("quickstep could not complete the request {id}: {retry}"),
                None => format!("quickstep could not complete the request: {retry}"),
            };
            let mut response = Self::error(status, name, message);
            if let Some(id) = request_id {
                response.body["requestId"] = json!(id);
            }
            return response;
        }
        let mut response = Self::error(status, name, e.to_string());
        if let ServiceError::InvalidDefinition(problems) = e {
            response.body["problems"] = json!(problems);
        }
        response
    }
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Answers one API request (internal errors are not shown, and not logged: see
    /// [`Service::respond`]).
    pub async fn handle(&self, request: &Request) -> Response {
        self.respond(request, None).await.response
    }

    /// Answers one API request whose id (Lambda's request id) is `request_id`; a 5xx answer
    /// names it, and comes with the internal error for the caller to log.
    pub async fn respond(&self, request: &Request, request_id: Option<&str>) -> Answer {
        if let Some(target) = &request.target {
            if request.method.eq_ignore_ascii_case("POST")
                && request.path.trim_matches('/').is_empty()
            {
                return self
                    .step_functions(target, &request.body, request.deadline, request_id)
                    .await;
            }
        }
        match self.route(request).await {
            Ok(response) => Answer {
                response,
                internal_error: None,
            },
            Err(e) => Answer {
                response: Response::from_error(&e, request_id),
                internal_error: e.is_internal().then_some(e),
            },
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
                let body = sized(&request.body, DEFINITION_LIMIT_BYTES, "a definition")?;
                let definition = json_body(body, "an ASL definition")?;
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
                if let Some(refusal) = invalid_name(name) {
                    return Ok(refusal);
                }
                let input = self.input_body(&request.body)?;
                let body = self
                    .start_sync(machine, name, input, request.deadline)
                    .await?;
                Ok(Response::ok(body))
            }
            ("POST", ["state-machines", machine, "executions"]) => {
                if let Some(refusal) = invalid_name(name) {
                    return Ok(refusal);
                }
                let input = self.input_body(&request.body)?;
                let started = self
                    .start_async_until(machine, name, input, request.deadline)
                    .await?;
                Ok(Response::new(
                    if started.new { 202 } else { 200 },
                    json!({
                        "executionArn": started.execution_arn,
                        "startDate": epoch_seconds(started.start_date),
                    }),
                ))
            }
            ("GET", ["executions", arn]) => Ok(Response::ok(self.describe(arn).await?)),
            ("GET", ["executions", arn, "history"]) => Ok(Response::ok(self.history(arn).await?)),
            ("GET", ["executions", arn, "graph"]) => Ok(Response {
                page: Some(self.page(arn).await?),
                ..Response::ok(Value::Null)
            }),
            ("DELETE", ["executions", arn]) => {
                let body = if request.body.is_empty() {
                    Value::Null
                } else {
                    let body = sized(&request.body, REQUEST_LIMIT_BYTES, "a stop request")?;
                    json_body(body, "a stop request")?
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
                | ["executions", _, "history" | "graph"]
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
        let body = sized(&request.body, REQUEST_LIMIT_BYTES, "a task token request")?;
        let body = json_body(body, "a task token request")?;
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

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// An execution input: an empty body is `{}`, as AWS treats a missing input; one over the
    /// payload limit is refused unread.
    fn input_body(&self, body: &[u8]) -> Result<Value, ServiceError> {
        let body = sized(
            body,
            self.config.payload_limit_bytes,
            "an execution input (QUICKSTEP_PAYLOAD_LIMIT_BYTES)",
        )?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        json_body(body, "the execution input")
    }
}

/// `body` if it is at most `limit` bytes; otherwise 413, before anything reads it.
fn sized<'a>(body: &'a [u8], limit: usize, what: &str) -> Result<&'a [u8], ServiceError> {
    if body.len() > limit {
        return Err(ServiceError::PayloadTooLarge(format!(
            "the request body is {} bytes; {what} may be at most {limit} bytes",
            body.len()
        )));
    }
    Ok(body)
}

/// The 400 `InvalidName` answer to a `?name=` that `StartExecution` would refuse.
fn invalid_name(name: Option<&str>) -> Option<Response> {
    let name = name.filter(|name| !valid_execution_name(name))?;
    Some(Response::error(
        400,
        "InvalidName",
        format!(
            "Invalid Name: '{name}': an execution name has 1 to 80 characters, none of them \
             whitespace, a control character or one of < > {{ }} [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /"
        ),
    ))
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
    use std::sync::Arc;

    use quickstep_runtime::clock::Clock;
    use quickstep_runtime::mock::MockInvoker;
    use serde_json::json;

    use super::{percent_decode, Request, Service, DEFINITION_LIMIT_BYTES, REQUEST_LIMIT_BYTES};
    use crate::config::Config;
    use crate::error::ServiceError;
    use crate::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
    use crate::ports::{Created, Listing, PortError, StepQueue, Store};
    use crate::records::{
        Asked, ExecutionEntry, ExecutionRecord, MachineEntry, Published, StateMachineRecord, Tags,
    };
    use serde_json::Value;

    fn service<Q: StepQueue>(queue: Q) -> Service<MemoryStore, Q, MemoryPublisher> {
        let config = Config {
            payload_limit_bytes: 100,
            ..Config::default()
        };
        Service::new(
            MemoryStore::default(),
            queue,
            MemoryPublisher::default(),
            Arc::new(MockInvoker::none()),
            Clock::Real,
            config,
        )
    }

    fn request(method: &str, path: &str, query: &[(&str, &str)], body: &[u8]) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_vec(),
            deadline: None,
            target: None,
        }
    }

    const PASS: &str = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;

    #[tokio::test]
    async fn an_oversized_body_is_refused_before_it_is_parsed() {
        let service = service(MemoryQueue::default());
        let put = service
            .handle(&request("PUT", "/state-machines/m", &[], PASS.as_bytes()))
            .await;
        assert_eq!(put.status, 200, "{}", put.body);
        // Not JSON at all: a 400 if it were parsed, a 413 because it is not.
        let not_json = vec![b'{'; 101];
        for route in ["/state-machines/m/sync", "/state-machines/m/executions"] {
            let response = service
                .handle(&request("POST", route, &[], &not_json))
                .await;
            assert_eq!(response.status, 413, "{route}: {}", response.body);
            assert_eq!(response.body["error"], "PayloadTooLarge");
            let message = response.body["message"].as_str().unwrap();
            assert!(
                message.contains("101 bytes") && message.contains("at most 100 bytes"),
                "{message}"
            );
        }
        // At the limit, the body is read (and this one is no JSON: 400).
        let response = service
            .handle(&request(
                "POST",
                "/state-machines/m/sync",
                &[],
                &not_json[..100],
            ))
            .await;
        assert_eq!(response.status, 400, "{}", response.body);

        let big = vec![b'['; DEFINITION_LIMIT_BYTES + 1];
        let response = service
            .handle(&request("PUT", "/state-machines/m", &[], &big))
            .await;
        assert_eq!(response.status, 413, "{}", response.body);
        let big = vec![b'['; REQUEST_LIMIT_BYTES + 1];
        for (method, path) in [
            ("POST", "/tasks/success"),
            ("POST", "/tasks/failure"),
            ("POST", "/tasks/heartbeat"),
            (
                "DELETE",
                "/executions/arn%3Aaws%3Astates%3Aus-east-1%3A1%3Aexpress%3Am%3Ae",
            ),
        ] {
            let response = service.handle(&request(method, path, &[], &big)).await;
            assert_eq!(response.status, 413, "{method} {path}: {}", response.body);
        }
    }

    #[tokio::test]
    async fn a_stored_execution_has_a_page() {
        let service = service(MemoryQueue::default());
        service
            .handle(&request("PUT", "/state-machines/m", &[], PASS.as_bytes()))
            .await;
        let started = service
            .handle(&request(
                "POST",
                "/state-machines/m/executions",
                &[("name", "e1")],
                b"{}",
            ))
            .await;
        let arn = started.body["executionArn"].as_str().unwrap().to_owned();
        let path = format!("/executions/{}/graph", arn.replace(':', "%3A"));
        let get = request("GET", &path, &[], b"");
        let page = service.handle(&get).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.content_type(&get), "text/html; charset=utf-8");
        let html = page.text();
        assert!(html.starts_with("<!doctype html>"), "{html}");
        assert!(html.contains("<title>m · e1 · quickstep</title>"));
        // The start ran the Pass state at once: the execution is over.
        assert!(html.contains("id=\"status\">SUCCEEDED</span>"));
        assert!(html.contains("class=\"state pass succeeded\" data-state=\"P\""));
        let missing = service
            .handle(&request("GET", "/executions/nope/graph", &[], b""))
            .await;
        assert_eq!((missing.status, missing.page), (404, None));
        let post = service.handle(&request("POST", &path, &[], b"")).await;
        assert_eq!(post.status, 405);
    }

    #[tokio::test]
    async fn execution_names_are_checked_as_start_execution_checks_them() {
        let service = service(MemoryQueue::default());
        service
            .handle(&request("PUT", "/state-machines/m", &[], PASS.as_bytes()))
            .await;
        let too_long = "n".repeat(81);
        for name in [
            "",
            "has space",
            "tab\there",
            "a/b",
            "a:b",
            "a#b",
            "a$b",
            "a\u{7f}b",
            too_long.as_str(),
        ] {
            for route in ["/state-machines/m/sync", "/state-machines/m/executions"] {
                let response = service
                    .handle(&request("POST", route, &[("name", name)], b"{}"))
                    .await;
                assert_eq!(
                    (response.status, &response.body["error"]),
                    (400, &json!("InvalidName")),
                    "{route} {name:?}: {}",
                    response.body
                );
            }
        }
        let fine = "n".repeat(80);
        for name in ["order-17_b", "ünïcødé", fine.as_str()] {
            let response = service
                .handle(&request(
                    "POST",
                    "/state-machines/m/executions",
                    &[("name", name)],
                    b"{}",
                ))
                .await;
            assert_eq!(response.status, 202, "{name}: {}", response.body);
        }
    }

    /// A store whose every call fails as an SDK call does, with a message full of internals.
    struct BrokenStore(PortError);

    const INTERNALS: &str = "DynamoDB GetItem: AccessDeniedException: User: \
        arn:aws:sts::123456789012:assumed-role/quickstep-ApiRole-X is not authorized";

    impl Store for BrokenStore {
        async fn put_state_machine(
            &self,
            _: &str,
            _: &str,
            _: &Value,
            _: &Asked,
            _: i64,
        ) -> Result<StateMachineRecord, PortError> {
            Err(self.0.clone())
        }
        async fn get_tags(&self, _: &str) -> Result<Tags, PortError> {
            Err(self.0.clone())
        }
        async fn put_tags(
            &self,
            _: &str,
            _: &std::collections::BTreeMap<String, String>,
            _: u64,
        ) -> Result<(), PortError> {
            Err(self.0.clone())
        }
        async fn get_published(&self, _: &str) -> Result<Published, PortError> {
            Err(self.0.clone())
        }
        async fn put_published(&self, _: &str, _: &Published) -> Result<(), PortError> {
            Err(self.0.clone())
        }
        async fn delete_state_machine(&self, _: &str, _: &str, _: i64) -> Result<(), PortError> {
            Err(self.0.clone())
        }
        async fn list_state_machines(
            &self,
            _: Option<&str>,
            _: usize,
        ) -> Result<Listing<MachineEntry>, PortError> {
            Err(self.0.clone())
        }
        async fn list_executions(
            &self,
            _: &str,
            _: Option<&str>,
            _: Option<&str>,
            _: usize,
        ) -> Result<Listing<ExecutionEntry>, PortError> {
            Err(self.0.clone())
        }
        async fn get_state_machine(
            &self,
            _: &str,
        ) -> Result<Option<StateMachineRecord>, PortError> {
            Err(self.0.clone())
        }
        async fn get_revision(
            &self,
            _: &str,
            _: u64,
        ) -> Result<Option<StateMachineRecord>, PortError> {
            Err(self.0.clone())
        }
        async fn create_execution(&self, _: &mut ExecutionRecord) -> Result<Created, PortError> {
            Err(self.0.clone())
        }
        async fn get_execution(&self, _: &str) -> Result<Option<ExecutionRecord>, PortError> {
            Err(self.0.clone())
        }
        async fn get_execution_with_history(
            &self,
            _: &str,
        ) -> Result<Option<ExecutionRecord>, PortError> {
            Err(self.0.clone())
        }
        async fn put_execution_if_version(
            &self,
            _: &mut ExecutionRecord,
            _: u64,
        ) -> Result<(), PortError> {
            Err(self.0.clone())
        }
    }

    fn broken(error: PortError) -> Service<BrokenStore, MemoryQueue, MemoryPublisher> {
        Service::new(
            BrokenStore(error),
            MemoryQueue::default(),
            MemoryPublisher::default(),
            Arc::new(MockInvoker::none()),
            Clock::Real,
            Config::default(),
        )
    }

    #[tokio::test]
    async fn an_internal_error_is_logged_not_shown() {
        let get = request("GET", "/state-machines/m", &[], b"");
        for (error, status, name) in [
            (PortError::Terminal(INTERNALS.into()), 500, "InternalError"),
            (
                PortError::Retryable(INTERNALS.into()),
                503,
                "ServiceUnavailable",
            ),
        ] {
            let service = broken(error.clone());
            let answer = service.respond(&get, Some("req-42")).await;
            let body = &answer.response.body;
            assert_eq!(
                (answer.response.status, &body["error"]),
                (status, &json!(name)),
                "{body}"
            );
            assert_eq!(body["requestId"], "req-42");
            let text = body.to_string();
            assert!(
                !text.contains("arn:aws") && !text.contains("AccessDenied"),
                "{text}"
            );
            assert!(
                body["message"].as_str().unwrap().contains("req-42"),
                "{text}"
            );
            // The caller gets the error, to log.
            assert_eq!(answer.internal_error, Some(ServiceError::Port(error)));
            // Without a request id the answer still hides it.
            let response = service.handle(&get).await;
            assert_eq!(response.status, status);
            assert!(
                !response.body.to_string().contains("arn:aws"),
                "{}",
                response.body
            );
        }
        // A client's error is shown as it is, with nothing to log.
        let service = service(MemoryQueue::default());
        let answer = service.respond(&get, Some("r")).await;
        assert_eq!(answer.response.status, 404);
        assert!(answer.response.body["message"]
            .as_str()
            .unwrap()
            .contains("'m'"));
        assert!(answer.internal_error.is_none());
    }

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
