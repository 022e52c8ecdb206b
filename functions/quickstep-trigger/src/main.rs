//! The EventBridge rule target: starts an execution of `QUICKSTEP_STATE_MACHINE` per event,
//! asynchronously unless `QUICKSTEP_TRIGGER_MODE=sync`.
// The synchronous trigger path nests the whole driver's async state machine in this one.
#![recursion_limit = "256"]

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let service = quickstep_aws::compose::service_from_env().await?;
    let machine = std::env::var("QUICKSTEP_STATE_MACHINE")
        .map_err(|_| "QUICKSTEP_STATE_MACHINE must name the state machine to start")?;
    let mode = quickstep_lambda::eventbridge::mode_from(
        std::env::var("QUICKSTEP_TRIGGER_MODE").ok().as_deref(),
    )?;
    let (service, machine) = (&service, machine.as_str());
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = quickstep_lambda::deadline_of(&event.context);
        quickstep_lambda::eventbridge::handle_event(service, machine, mode, event.payload, deadline)
            .await
    }))
    .await
}
