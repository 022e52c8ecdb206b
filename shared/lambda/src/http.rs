//! API Gateway and function URL requests.

use lambda_http::{Body, Request, RequestExt, Response};
use quickstep_service::api;
use quickstep_service::ports::{EventPublisher, StepQueue, Store};
use quickstep_service::service::Service;

/// Translates a Lambda HTTP request into the service's API request.
pub fn to_api_request(request: &Request) -> api::Request {
    // Requests built outside Lambda (tests, local tools) have no context, hence no deadline.
    let deadline = request
        .lambda_context_ref()
        .and_then(|c| i64::try_from(c.deadline).ok())
        .filter(|d| *d > 0);
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
    }
}

/// The service's answer as a JSON HTTP response.
pub fn to_http_response(response: &api::Response) -> Response<Body> {
    let mut http = Response::new(Body::Text(response.body.to_string()));
    *http.status_mut() = lambda_http::http::StatusCode::from_u16(response.status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    http.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    http
}

/// Handles one HTTP request.
pub async fn handle<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    request: Request,
) -> Response<Body> {
    to_http_response(&service.handle(&to_api_request(&request)).await)
}
