//! The step worker: an SQS event source on the step queue (and on its dead-letter queue, named
//! by `QUICKSTEP_DEAD_LETTER_QUEUE_ARN`), answering with partial batch responses.
// The step handler nests the worker's and the invoker's async state machines in this one.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let service = quickstep_aws::compose::service_from_env().await?;
    let dead_letters = std::env::var("QUICKSTEP_DEAD_LETTER_QUEUE_ARN").ok();
    let (service, dead_letters) = (&service, dead_letters.as_deref());
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        // Lambda's deadline for this invocation (ms since the epoch): the worker hands over
        // before it rather than being cut off mid-step.
        let deadline = quickstep_lambda::deadline_of(&event.context);
        Ok::<SqsBatchResponse, Error>(
            quickstep_lambda::sqs::handle_batch(service, event.payload, dead_letters, deadline)
                .await,
        )
    }))
    .await
}
