//! Dollars per million executions: quickstep's [`Usage`] priced line by line, and what Step
//! Functions would bill for the same workflow (Express by request and duration, Standard by
//! state transition), all from [`super::prices`].

use serde::Serialize;

use super::drive::{Measured, Model, Usage};
use super::prices::{
    chunks, compute, per_million, DYNAMODB_READ_UNIT, DYNAMODB_WRITE_UNIT, EVENTBRIDGE_EVENT,
    EXPRESS_DURATION_STEP_MS, EXPRESS_GB_SECOND, EXPRESS_MEMORY_MB, EXPRESS_REQUEST,
    HTTP_API_CHUNK_BYTES, HTTP_API_REQUEST, LAMBDA_GB_SECOND, LAMBDA_REQUEST, REST_API_REQUEST,
    SQS_REQUEST, STANDARD_TRANSITION,
};

/// How callers reach quickstep's API function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Front {
    /// The function URL (IAM auth): no charge beyond Lambda's.
    FunctionUrl,
    /// API Gateway's HTTP API.
    HttpApi,
    /// API Gateway's REST API.
    RestApi,
}

/// One way of running the workflow, priced.
#[derive(Debug, Clone, Serialize)]
pub struct Priced {
    /// Dollars per million executions.
    pub total: f64,
    /// The total, service by service.
    pub lines: Lines,
    /// What one execution used.
    pub usage: Usage,
}

/// Dollars per million executions, service by service.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Lines {
    pub front: f64,
    pub lambda_requests: f64,
    pub lambda_duration: f64,
    pub sqs: f64,
    pub dynamodb_reads: f64,
    pub dynamodb_writes: f64,
    pub eventbridge: f64,
}

impl Lines {
    pub fn total(&self) -> f64 {
        self.front
            + self.lambda_requests
            + self.lambda_duration
            + self.sqs
            + self.dynamodb_reads
            + self.dynamodb_writes
            + self.eventbridge
    }
}

/// Step Functions' bill for the same workflow.
#[derive(Debug, Clone, Serialize)]
pub struct StepFunctions {
    /// `None` if Step Functions cannot run the workflow so (see `unavailable`).
    pub total: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// Express: the duration billed (100 ms steps) and the memory (64 MB steps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_mb: Option<u64>,
    /// Standard: the state transitions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<u64>,
}

/// quickstep's usage priced for the front door `front`.
pub fn price(usage: &Usage, front: Front, model: &Model) -> Priced {
    let count = |n: u64| n as f64;
    let front_requests = match front {
        Front::FunctionUrl => 0.0,
        Front::HttpApi => per_million(
            count(usage.front_requests * chunks(usage.front_bytes, HTTP_API_CHUNK_BYTES)),
            HTTP_API_REQUEST,
        ),
        Front::RestApi => per_million(count(usage.front_requests), REST_API_REQUEST),
    };
    let lines = Lines {
        front: front_requests,
        lambda_requests: per_million(count(usage.lambda_invocations), LAMBDA_REQUEST),
        lambda_duration: compute(count(usage.lambda_ms), model.memory_mb, LAMBDA_GB_SECOND),
        sqs: per_million(count(usage.sqs_requests), SQS_REQUEST),
        dynamodb_reads: per_million(count(usage.dynamodb.read_units), DYNAMODB_READ_UNIT),
        dynamodb_writes: per_million(count(usage.dynamodb.write_units), DYNAMODB_WRITE_UNIT),
        eventbridge: per_million(count(usage.events), EVENTBRIDGE_EVENT),
    };
    Priced {
        total: lines.total(),
        lines,
        usage: usage.clone(),
    }
}

/// The longest an Express execution runs.
const EXPRESS_MAX_MS: f64 = 300_000.0;

/// Express: a request, and the execution's duration (its clock time plus its task calls, one
/// after another) in 100 ms steps, at the memory Step Functions estimates (50 MB, the
/// definition, and the payload once per Parallel or Map entered) in 64 MB steps.
pub fn express(
    measured: &Measured,
    model: &Model,
    definition_bytes: usize,
    payload_bytes: usize,
) -> StepFunctions {
    let ms =
        measured.elapsed_ms.max(0) as f64 + measured.asynchronous.task_calls as f64 * model.task_ms;
    let billed_ms =
        ((ms / EXPRESS_DURATION_STEP_MS as f64).ceil().max(1.0) as u64) * EXPRESS_DURATION_STEP_MS;
    let estimate = 50 * 1024 * 1024
        + definition_bytes
        + payload_bytes * usize::try_from(measured.fanouts).unwrap_or(usize::MAX);
    let step = usize::try_from(EXPRESS_MEMORY_MB).unwrap_or(64) * 1024 * 1024;
    let billed_mb = u64::try_from(estimate.div_ceil(step)).unwrap_or(1) * EXPRESS_MEMORY_MB;
    let total =
        per_million(1.0, EXPRESS_REQUEST) + compute(billed_ms as f64, billed_mb, EXPRESS_GB_SECOND);
    let too_long = ms > EXPRESS_MAX_MS;
    StepFunctions {
        total: (!too_long).then_some(total),
        unavailable: too_long.then(|| {
            format!(
                "it runs {:.0} s; Express executions last at most 5 minutes",
                ms / 1000.0
            )
        }),
        billed_ms: Some(billed_ms),
        billed_mb: Some(billed_mb),
        transitions: None,
    }
}

/// Standard: the state transitions.
pub fn standard(measured: &Measured) -> StepFunctions {
    StepFunctions {
        total: Some(per_million(
            measured.transitions as f64,
            STANDARD_TRANSITION,
        )),
        unavailable: None,
        billed_ms: None,
        billed_mb: None,
        transitions: Some(measured.transitions),
    }
}

#[cfg(test)]
mod tests {
    use quickstep_aws::store::metered::DynamoBill;

    use super::*;

    fn model() -> Model {
        Model {
            task_ms: 20.0,
            request_ms: 5.0,
            memory_mb: 128,
            start_inline_ms: 0,
        }
    }

    #[test]
    fn each_line_is_its_count_at_its_price() {
        let usage = Usage {
            front_requests: 1,
            front_bytes: 100,
            lambda_invocations: 2,
            lambda_ms: 100,
            sqs_requests: 3,
            dynamodb: DynamoBill {
                requests: 5,
                read_units: 3,
                write_units: 6,
            },
            events: 0,
            ..Usage::default()
        };
        let priced = price(&usage, Front::HttpApi, &model());
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(priced.lines.front, 1.00));
        assert!(close(priced.lines.lambda_requests, 0.40));
        assert!(close(priced.lines.sqs, 1.20));
        assert!(close(priced.lines.dynamodb_reads, 0.375));
        assert!(close(priced.lines.dynamodb_writes, 3.75));
        // 100 ms at 128 MB: 0.0125 GB-s an execution.
        assert!(close(
            priced.lines.lambda_duration,
            12_500.0 * LAMBDA_GB_SECOND
        ));
        assert!(close(priced.total, priced.lines.total()));
        // A function URL costs nothing of its own; a REST API more than an HTTP API.
        assert!(close(
            price(&usage, Front::FunctionUrl, &model()).lines.front,
            0.0
        ));
        assert!(close(
            price(&usage, Front::RestApi, &model()).lines.front,
            3.50
        ));
    }

    #[test]
    fn express_rounds_duration_and_memory_up() {
        let measured = Measured {
            sync: Err(String::new()),
            asynchronous: Usage {
                task_calls: 1,
                ..Usage::default()
            },
            transitions: 5,
            elapsed_ms: 0,
            fanouts: 0,
        };
        let express = express(&measured, &model(), 1_000, 100);
        assert_eq!(
            (express.billed_ms, express.billed_mb),
            (Some(100), Some(64))
        );
        // $1.00 a million requests, and 0.1 s × 1/16 GB.
        let expected = 1.0 + 0.1 / 16.0 * EXPRESS_GB_SECOND * 1e6;
        assert!((express.total.unwrap() - expected).abs() < 1e-9);
        // $0.025 a thousand transitions: $25 a million, five an execution.
        assert!((standard(&measured).total.unwrap() - 125.0).abs() < 1e-9);
        // An hour's Wait is more than Express runs.
        let waits = Measured {
            elapsed_ms: 3_600_000,
            ..measured
        };
        let express = super::express(&waits, &model(), 1_000, 100);
        assert_eq!(express.total, None);
        assert!(express.unavailable.unwrap().contains("at most 5 minutes"));
    }
}
