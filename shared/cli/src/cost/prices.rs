//! The one price table `quickstep cost` bills with: AWS's published on-demand prices in US
//! East (N. Virginia), without free tiers, and the billing rules that go with them. Every
//! dollar figure quickstep prints comes from here; the README names the pricing pages.

/// Dollars per million of something.
pub type PerMillion = f64;

/// Lambda: requests, and compute per GB-second on arm64 (the template's architecture),
/// billed per millisecond.
pub const LAMBDA_REQUEST: PerMillion = 0.20;
pub const LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;

/// SQS standard queue: each request (a send, a receive, a delete), each 64 KB of its payload
/// counted as one more.
pub const SQS_REQUEST: PerMillion = 0.40;
pub const SQS_CHUNK_BYTES: usize = 64 * 1024;

/// DynamoDB on demand (since the November 2024 price cut): write and read request units.
pub const DYNAMODB_WRITE_UNIT: PerMillion = 0.625;
pub const DYNAMODB_READ_UNIT: PerMillion = 0.125;

/// API Gateway: an HTTP API request (each 512 KB counted as one), a REST API request.
pub const HTTP_API_REQUEST: PerMillion = 1.00;
pub const HTTP_API_CHUNK_BYTES: usize = 512 * 1024;
pub const REST_API_REQUEST: PerMillion = 3.50;

/// EventBridge: a custom event put on a bus, each 64 KB counted as one.
pub const EVENTBRIDGE_EVENT: PerMillion = 1.00;
pub const EVENTBRIDGE_CHUNK_BYTES: usize = 64 * 1024;

/// Step Functions Express: a request (an execution), and its duration per GB-second, billed
/// in 100 ms steps with memory in 64 MB steps (a small workflow uses the first 64 MB).
pub const EXPRESS_REQUEST: PerMillion = 1.00;
pub const EXPRESS_GB_SECOND: f64 = 0.000_016_67;
pub const EXPRESS_DURATION_STEP_MS: u64 = 100;
pub const EXPRESS_MEMORY_MB: u64 = 64;

/// Step Functions Standard: a state transition (each state entered, each retry).
pub const STANDARD_TRANSITION: PerMillion = 25.00;

/// The cost of `count` things at `price` each million, per million executions.
pub fn per_million(count: f64, price: PerMillion) -> f64 {
    count * price
}

/// Compute at `gb_second` dollars, per million executions of `ms` at `memory_mb`.
pub fn compute(ms: f64, memory_mb: u64, gb_second: f64) -> f64 {
    let gb = memory_mb as f64 / 1024.0;
    ms / 1000.0 * gb * gb_second * 1_000_000.0
}

/// The requests a payload of `bytes` is billed as, in chunks of `chunk` (at least one).
pub fn chunks(bytes: usize, chunk: usize) -> u64 {
    u64::try_from(bytes.div_ceil(chunk).max(1)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_is_billed_by_the_gigabyte_second() {
        // A million 100 ms invocations at 128 MB on arm64: 12,500 GB-s.
        let dollars = compute(100.0, 128, LAMBDA_GB_SECOND);
        assert!((dollars - 12_500.0 * LAMBDA_GB_SECOND).abs() < 1e-9);
        assert!((per_million(3.0, SQS_REQUEST) - 1.2).abs() < 1e-12);
    }

    #[test]
    fn payloads_are_billed_in_chunks() {
        assert_eq!(chunks(0, SQS_CHUNK_BYTES), 1);
        assert_eq!(chunks(65_536, SQS_CHUNK_BYTES), 1);
        assert_eq!(chunks(65_537, SQS_CHUNK_BYTES), 2);
        assert_eq!(chunks(300_000, EVENTBRIDGE_CHUNK_BYTES), 5);
    }
}
