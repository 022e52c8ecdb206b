//! Step Functions' ARNs, read back into the names the service keys its records by.

use super::fault::Fault;

/// The state machine `arn` names: `arn:<partition>:states:<region>:<account>:stateMachine:<name>`.
/// A version (`:<n>`) or alias (`:<alias>`) qualifier is refused: quickstep has neither yet.
pub fn state_machine_name(arn: &str) -> Result<&str, Fault> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "states", _, _, "stateMachine", name] if !name.is_empty() => Ok(name),
        ["arn", _, "states", _, _, "stateMachine", _, qualifier] => Err(Fault::client(
            "InvalidArn",
            format!(
                "Invalid Arn: 'Resource type not valid in this context: {qualifier}': versions and \
                 aliases are not served yet ({arn})"
            ),
        )),
        _ => Err(invalid_arn(arn)),
    }
}

/// Checks that `arn` has the shape of an execution ARN (standard `execution:` or `express:`).
pub fn execution(arn: &str) -> Result<&str, Fault> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "states", _, _, "execution" | "express", machine, name, ..]
            if !machine.is_empty() && !name.is_empty() =>
        {
            Ok(arn)
        }
        _ => Err(invalid_arn(arn)),
    }
}

/// The execution's name: the part after the state machine's name.
pub fn execution_name(arn: &str) -> Option<&str> {
    arn.split(':').nth(7)
}

fn invalid_arn(arn: &str) -> Fault {
    Fault::client("InvalidArn", format!("Invalid Arn: '{arn}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_machine_arns_give_their_name() {
        assert_eq!(
            state_machine_name("arn:aws:states:us-east-1:123456789012:stateMachine:order"),
            Ok("order")
        );
        for bad in [
            "order",
            "arn:aws:states:us-east-1:123456789012:stateMachine:",
            "arn:aws:lambda:us-east-1:123456789012:function:order",
            "arn:aws:states:us-east-1:123456789012:stateMachine:order:1",
        ] {
            assert_eq!(
                state_machine_name(bad).map_err(|f| f.name()),
                Err("InvalidArn"),
                "{bad}"
            );
        }
    }

    #[test]
    fn execution_arns_are_checked() {
        let express = "arn:aws:states:us-east-1:123456789012:express:order:run-1:id";
        assert_eq!(execution(express), Ok(express));
        assert!(execution("arn:aws:states:us-east-1:123456789012:execution:order:run-1").is_ok());
        assert!(execution("arn:aws:states:us-east-1:123456789012:stateMachine:order").is_err());
        assert_eq!(execution_name(express), Some("run-1"));
    }
}
