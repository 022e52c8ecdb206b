//! HTTP/1.1 in front of the service's API ([`Service::respond`]): the REST routes and, for
//! `POST /` with `X-Amz-Target`, the Step Functions API.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use quickstep_service::api;
use quickstep_service::ports::{EventPublisher, StepQueue, Store};
use quickstep_service::service::Service;
use quickstep_service::stepfunctions;
use tokio::net::TcpListener;

/// The largest request body read, in bytes; the API applies its own, smaller limits after.
const BODY_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// Serves connections from `listener` until the process ends.
pub async fn serve<S: Store, Q: StepQueue, P: EventPublisher>(
    listener: TcpListener,
    service: Arc<Service<S, Q, P>>,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let service = Arc::clone(&service);
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |request| {
                let service = Arc::clone(&service);
                async move { Ok::<_, Infallible>(answer(&service, request).await) }
            });
            // A connection that breaks off is the client's business.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}

async fn answer<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let target = parts
        .headers
        .get(stepfunctions::TARGET_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let step_functions = target.is_some();
    let body = match Limited::new(body, BODY_LIMIT_BYTES).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(e) => {
            let (name, status) = if e.is::<http_body_util::LengthLimitError>() {
                ("PayloadTooLarge", 413)
            } else {
                ("BadRequest", 400)
            };
            let body = if step_functions {
                serde_json::json!({"__type": "ValidationException", "message": format!("the request body could not be read: {e}")})
            } else {
                serde_json::json!({"error": name, "message": format!("the request body could not be read: {e}")})
            };
            let content_type = stepfunctions::content_type(step_functions);
            return respond(status, body.to_string(), content_type, &request_id);
        }
    };
    let request = api::Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: api::Request::query_pairs(parts.uri.query().unwrap_or_default()),
        body,
        deadline: None,
        target,
    };
    let answer = service.respond(&request, Some(&request_id)).await;
    if let Some(error) = &answer.internal_error {
        eprintln!(
            "quickstep serve: request {request_id} ({} {}) failed: {error}",
            request.method, request.path
        );
    }
    let content_type = answer.response.content_type(&request);
    respond(
        answer.response.status,
        answer.response.text(),
        content_type,
        &request_id,
    )
}

fn respond(
    status: u16,
    body: String,
    content_type: &'static str,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}
