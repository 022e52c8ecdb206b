//! What `quickstep serve` runs: the service's API behind an HTTP server ([`http`]), and the
//! worker that carries out asynchronous executions in the same process ([`worker`]).

pub mod http;
pub mod worker;
