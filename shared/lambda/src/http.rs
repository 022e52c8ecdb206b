//! API Gateway and function URL requests.

use lambda_http::{Body, Request, RequestExt, Response};
use quickstep_service::api;
use quickstep_service::ports::{EventPublisher, StepQueue, Store};
use quickstep_service::service::Service;

/// Translates a Lambda HTTP request into the service's API request.
pub fn to_api_request(request: &Request) -> api::Request {
    // Requests built outside Lambda (tests, local tools) have no context, hence no deadline.
    let deadline = request.lambda_context_ref().and_then(crate::deadline_of);
    let query = request
        .query_string_parameters()
        .first("name")
        .map(|name| vec![("name".to_owned(), name.to_owned())])
        .unwrap_or_default();
    api::Request {
        method: request.method().as_str().to_owned(),
        path: request.raw_http_path().to_owned(),
        query,
        body: request.body().as_ref().to_vec(),
        deadline,
        target: request
            .headers()
            .get(quickstep_service::stepfunctions::TARGET_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// The service's answer to `request` as a JSON HTTP response: AWS JSON 1.0's content type for
/// a Step Functions API request, plain JSON otherwise.
pub fn to_http_response(response: &api::Response, request: &api::Request) -> Response<Body> {
    let mut http = Response::new(Body::Text(response.text()));
    *http.status_mut() = lambda_http::http::StatusCode::from_u16(response.status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    http.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static(response.content_type(request)),
    );
    if request.target.is_some() {
        // lambda_http sends a body of a content type it does not know as text base64-encoded;
        // this header keeps AWS JSON 1.0's body the JSON text it is.
        http.headers_mut().insert(
            "x-lambda-http-content-encoding",
            lambda_http::http::HeaderValue::from_static("text"),
        );
    }
    http
}

/// Handles one HTTP request. A 5xx answer names Lambda's request id and nothing else; the
/// error behind it goes to the function's log, under that id.
pub async fn handle<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    request: Request,
) -> Response<Body> {
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty());
    let api_request = to_api_request(&request);
    let answer = service.respond(&api_request, request_id.as_deref()).await;
    if let Some(error) = &answer.internal_error {
        lambda_http::tracing::error!(
            request_id = request_id.as_deref().unwrap_or("-"),
            method = %api_request.method,
            path = %api_request.path,
            status = answer.response.status,
            error = %error,
            "the API request failed"
        );
    }
    to_http_response(&answer.response, &api_request)
}
