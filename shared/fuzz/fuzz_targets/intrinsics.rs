//! Intrinsic function calls (`States.Format(...)` and friends): `<call>\0<JSON input>`. Parses
//! the call and evaluates it against the input, a context object and workflow variables;
//! failures must be `States.Runtime` or `States.IntrinsicFailure`, never a panic.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use quickstep_engine::intrinsics::Intrinsic;
use quickstep_engine::jsonpath::{Path, Root};
use quickstep_engine::scope::Scope;
use quickstep_fuzz::{document, sample_context, sample_variables, split_nul};
use serde_json::{Map, Value};

struct FuzzScope {
    input: Value,
    context: Value,
    variables: Map<String, Value>,
    random: u64,
}

impl Scope for FuzzScope {
    fn lookup(&self, path: &Path) -> Option<Cow<'_, Value>> {
        match path.root() {
            Root::Input => path.select(&self.input),
            Root::Context => path.select(&self.context),
            Root::Variable(name) => path.select(self.variables.get(name)?),
        }
    }

    fn random_u64(&mut self) -> u64 {
        self.random = self
            .random
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        self.random
    }
}

fuzz_target!(init: quickstep_fuzz::report_deaths(), |data: &[u8]| {
    let (text, rest) = split_nul(data);
    let input = document(rest);
    let Ok(call) = Intrinsic::parse(&text) else {
        return;
    };
    let _ = call.paths();
    let mut scope = FuzzScope {
        context: sample_context(&input),
        input,
        variables: sample_variables(),
        random: 7,
    };
    if let Err(failure) = call.evaluate(&mut scope, "value.$") {
        let name = failure.error_name();
        assert!(
            name == "States.Runtime" || name == "States.IntrinsicFailure",
            "unexpected failure {failure:?}"
        );
    }
});
