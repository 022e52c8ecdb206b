//! What the world asks of the service: the requests of Lambda's event sources and of callers.
//! The world holds a function that turns each into the service call's future (the world knows
//! nothing of the service's types).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use quickstep_engine::execution::Millis;
use quickstep_service::callback::TaskAnswer;
use quickstep_service::records::StepMessage;
use serde_json::Value;

use crate::executor::{Ending, Output, Start};
use crate::world::World;

/// A request to the service.
#[derive(Debug, Clone)]
pub enum Call {
    /// The API's StartExecution (asynchronous), within an invocation that ends at `deadline`.
    Start {
        machine: String,
        name: String,
        input: Value,
        deadline: Millis,
    },
    /// SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat.
    Answer { token: String, answer: TaskAnswer },
    /// StopExecution.
    Stop { arn: String },
    /// The worker's SQS batch, within an invocation that ends at `deadline`.
    Steps {
        messages: Vec<StepMessage>,
        deadline: Millis,
    },
    /// The worker's dead-letter batch (one message).
    DeadLetter { message: StepMessage },
}

/// A call's answer: `Ok` or the error's `errorType`-like name, per message for batches.
pub type Answered = Vec<Result<(), String>>;

/// Makes the future of a call.
pub type Caller = Arc<dyn Fn(Call) -> Pin<Box<dyn Future<Output = Output> + Send>> + Send + Sync>;

impl World {
    /// Starts `call` as a new invocation; `on_end` sees how it ended.
    pub fn start(
        &mut self,
        call: Call,
        on_end: impl FnOnce(&mut World, Result<Answered, ()>) + Send + 'static,
    ) -> u64 {
        let id = self.id();
        let Some(caller) = self.caller.clone() else {
            return id;
        };
        let future = caller(call);
        self.starting.push(Start {
            id,
            future,
            on_end: Box::new(move |w, ending| {
                let answered = match ending {
                    Ending::Finished(output) => {
                        output.downcast::<Answered>().map(|a| *a).map_err(|_| ())
                    }
                    Ending::Killed => Err(()),
                };
                on_end(w, answered);
            }),
        });
        id
    }
}
