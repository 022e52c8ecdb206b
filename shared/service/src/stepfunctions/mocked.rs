//! StartExecution and StartSyncExecution of `<stateMachineArn>#<TestCase>`: Step Functions
//! Local's mocked testing, served when the service has a mock config
//! ([`crate::test_cases`]).

use super::fault::Fault;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::service::Service;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Puts the execution about to start (named `name`, or a new name) of state machine
    /// `machine` on test case `case`, and answers the execution's name and ARN. Done before the
    /// start, so that the worker never sees the execution without its mocks.
    pub(super) fn begin_test_case(
        &self,
        machine: &str,
        name: Option<&str>,
        case: &str,
    ) -> Result<(String, String), Fault> {
        let Some(test_cases) = &self.test_cases else {
            return Err(Fault::client(
                "InvalidArn",
                format!(
                    "Invalid Arn: '{machine}#{case}': a test case is served only with a mock \
                     config (quickstep serve --mock-config FILE, or SFN_MOCK_CONFIG=FILE)"
                ),
            ));
        };
        let name = self
            .execution_name(name)
            .map_err(|e| Fault::from_service(e, "InvalidName"))?;
        let arn = self.config.execution_arn(machine, &name);
        test_cases
            .begin(&arn, machine, case)
            .map_err(|e| Fault::validation(e.to_string()))?;
        Ok((name, arn))
    }

    /// Forgets the test case of execution `arn`: it ended (synchronous), or never started.
    pub(super) fn end_test_case(&self, arn: &str) {
        if let Some(test_cases) = &self.test_cases {
            test_cases.end(arn);
        }
    }
}
