//! Mocks over real integrations, the way Step Functions Local runs a test case: the states the
//! test case mocks answer from the mock file, and every other Task calls the real service.

use std::sync::Arc;

use quickstep_engine::execution::TaskRequest;
use quickstep_engine::validate::ResourceKind;

use crate::invoker::{Invocation, TaskInvoker};
use crate::mock::MockInvoker;

pub struct MockOverlay {
    mocks: MockInvoker,
    real: Arc<dyn TaskInvoker>,
}

impl MockOverlay {
    pub fn new(mocks: MockInvoker, real: Arc<dyn TaskInvoker>) -> Self {
        Self { mocks, real }
    }
}

impl TaskInvoker for MockOverlay {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        if self.mocks.mocks(&request.state_name) {
            self.mocks.invoke(request)
        } else {
            self.real.invoke(request)
        }
    }

    fn supports(&self, kind: &ResourceKind) -> bool {
        self.real.supports(kind)
    }

    fn answers_callbacks(&self, request: &TaskRequest) -> bool {
        self.mocks.answers_callbacks(request)
    }
}

#[cfg(test)]
mod tests {
    use quickstep_engine::failure::Failure;
    use serde_json::json;

    use super::*;

    /// Stands for a real service: answers with the state's name.
    struct Real;

    impl TaskInvoker for Real {
        fn invoke(&self, request: &TaskRequest) -> Invocation {
            Invocation::Ready(Ok(json!({"real": request.state_name})))
        }
    }

    fn request(state_name: &str) -> TaskRequest {
        TaskRequest::new(
            1,
            state_name,
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            json!({}),
        )
    }

    fn outcome(invocation: Invocation) -> Result<serde_json::Value, Failure> {
        match invocation {
            Invocation::Ready(outcome) => outcome,
            Invocation::Pending(_) => Err(Failure::new("Test", "expected a ready answer")),
        }
    }

    #[test]
    fn mocked_states_answer_from_the_mock_file_and_the_rest_call_the_service() {
        let config = json!({
            "StateMachines": {"m": {"TestCases": {"T": {"Mocked": "R"}}}},
            "MockedResponses": {"R": {"0": {"Return": {"mocked": true}}}}
        });
        let overlay = MockOverlay::new(
            MockInvoker::from_config(&config, "m", "T").unwrap(),
            Arc::new(Real),
        );
        assert_eq!(
            outcome(overlay.invoke(&request("Mocked"))),
            Ok(json!({"mocked": true}))
        );
        assert_eq!(
            outcome(overlay.invoke(&request("Other"))),
            Ok(json!({"real": "Other"}))
        );
    }
}
