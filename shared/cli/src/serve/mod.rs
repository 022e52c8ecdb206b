//! What `quickstep serve` runs: the service's API behind an HTTP server ([`http`]), and the
//! worker that carries out asynchronous executions in the same process: on an in-memory queue
//! ([`worker`]), or reading SQS as Lambda's event source mapping does ([`durable`]).

pub mod durable;
pub mod http;
pub mod worker;
