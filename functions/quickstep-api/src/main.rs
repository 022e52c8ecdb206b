//! The HTTP API function (API Gateway REST or HTTP API, or a function URL).

use lambda_http::{run, service_fn, Error, Request};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let service = quickstep_aws::compose::service_from_env().await?;
    let service = &service;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(quickstep_lambda::http::handle(service, request).await)
    }))
    .await
}
