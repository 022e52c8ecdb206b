//! Step Functions' ARNs, read back into the names the service keys its records by.

use super::fault::Fault;

/// What follows a state machine's ARN: a version (`:<n>`) or an alias (`:<alias>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier<'a> {
    Version(u64),
    Alias(&'a str),
}

/// The state machine `arn` names: `arn:<partition>:states:<region>:<account>:stateMachine:<name>`,
/// and its version or alias, if qualified.
pub fn state_machine(arn: &str) -> Result<(&str, Option<Qualifier<'_>>), Fault> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "states", _, _, "stateMachine", name] if !name.is_empty() => Ok((name, None)),
        ["arn", _, "states", _, _, "stateMachine", name, qualifier]
            if !name.is_empty() && !qualifier.is_empty() =>
        {
            let qualifier = if qualifier.bytes().all(|b| b.is_ascii_digit()) {
                Qualifier::Version(qualifier.parse().map_err(|_| invalid_arn(arn))?)
            } else {
                Qualifier::Alias(qualifier)
            };
            Ok((name, Some(qualifier)))
        }
        _ => Err(invalid_arn(arn)),
    }
}

/// The state machine `arn` names, which must not be a version's or an alias's.
pub fn state_machine_name(arn: &str) -> Result<&str, Fault> {
    match state_machine(arn)? {
        (name, None) => Ok(name),
        (_, Some(_)) => Err(Fault::client(
            "InvalidArn",
            format!("Invalid Arn: 'Resource type not valid in this context: {arn}'"),
        )),
    }
}

/// The version `arn` names (`…:stateMachine:<name>:<n>`): the state machine's name and `n`.
pub fn version(arn: &str) -> Result<(&str, u64), Fault> {
    match state_machine(arn)? {
        (name, Some(Qualifier::Version(number))) => Ok((name, number)),
        _ => Err(Fault::client(
            "InvalidArn",
            format!("Invalid Arn: '{arn}' is not a state machine version's ARN"),
        )),
    }
}

/// The alias `arn` names (`…:stateMachine:<name>:<alias>`): the state machine's name and the
/// alias's.
pub fn alias(arn: &str) -> Result<(&str, &str), Fault> {
    match state_machine(arn)? {
        (name, Some(Qualifier::Alias(alias))) => Ok((name, alias)),
        _ => Err(Fault::client(
            "InvalidArn",
            format!("Invalid Arn: '{arn}' is not a state machine alias's ARN"),
        )),
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
    fn versions_and_aliases_qualify_a_state_machine() {
        let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:order";
        assert_eq!(
            state_machine(&format!("{arn}:12")),
            Ok(("order", Some(Qualifier::Version(12))))
        );
        assert_eq!(
            state_machine(&format!("{arn}:PROD")),
            Ok(("order", Some(Qualifier::Alias("PROD"))))
        );
        assert_eq!(version(&format!("{arn}:3")), Ok(("order", 3)));
        assert_eq!(alias(&format!("{arn}:live")), Ok(("order", "live")));
        for bad in [format!("{arn}:live"), arn.to_owned(), format!("{arn}:")] {
            assert_eq!(
                version(&bad).map_err(|f| f.name()),
                Err("InvalidArn"),
                "{bad}"
            );
        }
        assert_eq!(
            alias(&format!("{arn}:3")).map_err(|f| f.name()),
            Err("InvalidArn")
        );
        let too_big = format!("{arn}:99999999999999999999999");
        assert_eq!(
            state_machine(&too_big).map_err(|f| f.name()),
            Err("InvalidArn")
        );
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
