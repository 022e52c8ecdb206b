//! JSONata expressions as Step Functions evaluates them: `<expression>\0<JSON input>`, with
//! `$states` bound (input, context) and the engine's limits (depth, one second, sequence cap).
//! Every outcome must be a JSON value, undefined, or a coded error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quickstep_engine::jsonata::{Environment, Expression, Limits};
use quickstep_fuzz::{document, sample_context, sample_variables, split_nul};
use serde_json::json;

/// Expressions longer than this are not tried: parsing is linear, but a longer expression only
/// lets libFuzzer pile up more work per input.
const MAX_EXPRESSION: usize = 4096;

/// The engine's limits, but with a shorter clock and a shorter sequence cap: an input that
/// reaches either takes the same path as at the engine's own limits (D1012, D2014, D2015), and
/// libFuzzer, which breeds slow inputs, cannot spend a second on each one.
const LIMITS: Limits = Limits {
    max_depth: 1000,
    time_limit_ms: 25,
    max_sequence_length: 20_000,
};

struct Fixed(u64);

impl Environment for Fixed {
    fn now_millis(&self) -> i64 {
        1_704_067_200_000
    }

    fn random_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        self.0
    }
}

fuzz_target!(init: quickstep_fuzz::report_deaths(), |data: &[u8]| {
    let (text, rest) = split_nul(data);
    if text.len() > MAX_EXPRESSION {
        return;
    }
    let Ok(expression) = Expression::parse(&text) else {
        return;
    };
    let _ = expression.variables();
    let input = document(rest);
    let states = json!({"input": input, "context": sample_context(&input)});
    let variables = sample_variables();
    let mut bindings: Vec<(&str, &serde_json::Value)> = vec![("states", &states)];
    bindings.extend(variables.iter().map(|(k, v)| (k.as_str(), v)));
    let outcome = expression.evaluate(&input, &bindings, &mut Fixed(3), LIMITS);
    if let Err(e) = outcome {
        assert_eq!(e.code.len(), 5, "an error without a code: {e:?}");
    }
});
