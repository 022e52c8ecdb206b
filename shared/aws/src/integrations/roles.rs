//! A Task's `Credentials` (`"Credentials": {"RoleArn": "arn:aws:iam::…:role/…"}`): Step Functions
//! assumes that role and calls the Task's resource with the role's credentials, so a workflow
//! can act in another account, or with fewer powers than the deployment's own role.
//!
//! The invoker does the same: STS `AssumeRole` on the role, then the call through clients that
//! sign with the temporary credentials. Those clients are kept per role until five minutes
//! before the credentials expire (an hour, STS's default), so a busy function assumes each role
//! about once an hour, not once a call.
//!
//! A role that cannot be assumed (not allowed by the function's role, which the template grants
//! only for the roles in its `TaskRoleArns` parameter; not trusting it; no such role; STS
//! unreachable) fails the Task with `States.TaskFailed`, which `Retry` and `Catch` handle: Step
//! Functions documents no error name of its own for this.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sts::Client;
use quickstep_engine::failure::{names, Failure};
use serde_json::Value;

use super::AwsInvoker;

/// Temporary credentials are renewed this long before they expire, so a call never starts with
/// credentials about to lapse.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// The session name CloudTrail shows for the calls made with an assumed role.
const SESSION_NAME: &str = "quickstep";

/// Assumes roles for Tasks, and keeps the clients of each role while its credentials last.
#[derive(Debug)]
pub(crate) struct Roles {
    sts: Client,
    sessions: Mutex<HashMap<String, Session>>,
}

/// The clients signing with one role's credentials, and when those expire.
#[derive(Debug, Clone)]
struct Session {
    expires: SystemTime,
    invoker: AwsInvoker,
}

impl Roles {
    /// Roles assumed through `sts`, with the SDK's retries switched off (as for every Task
    /// call: retrying is the state machine's `Retry`).
    pub(crate) fn new(sts: &Client) -> Self {
        let config = sts
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        Self {
            sts: Client::from_conf(config),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The invoker that calls as `role_arn`: `base` (the deployment's clients, without roles
    /// or guard) signing with the role's credentials, assumed now unless still fresh at `now`.
    pub(crate) async fn invoker_for(
        &self,
        role_arn: &str,
        base: &AwsInvoker,
        now: SystemTime,
    ) -> Result<AwsInvoker, Failure> {
        if let Some(session) = self.cached(role_arn, now) {
            return Ok(session.invoker);
        }
        let out = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(SESSION_NAME)
            .send()
            .await
            .map_err(|err| {
                let reason = match err.code() {
                    Some(code) => format!("{code}: {}", err.message().unwrap_or("no message")),
                    None => DisplayErrorContext(&err).to_string(),
                };
                cannot_assume(role_arn, &reason)
            })?;
        let Some(credentials) = out.credentials() else {
            return Err(cannot_assume(role_arn, "STS answered without credentials"));
        };
        let expires = SystemTime::try_from(*credentials.expiration())
            .unwrap_or(now + Duration::from_secs(15 * 60));
        let credentials = aws_sdk_sts::config::Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            Some(expires),
            "quickstep-task-role",
        );
        let session = Session {
            expires,
            invoker: base.signing_with(&credentials),
        };
        if let Ok(mut sessions) = self.sessions.lock() {
            // Forget sessions that have lapsed, so a deployment cycling through many roles
            // does not hold them all.
            sessions.retain(|_, s| fresh(s.expires, now));
            sessions.insert(role_arn.to_owned(), session.clone());
        }
        Ok(session.invoker)
    }

    fn cached(&self, role_arn: &str, now: SystemTime) -> Option<Session> {
        let sessions = self.sessions.lock().ok()?;
        sessions
            .get(role_arn)
            .filter(|s| fresh(s.expires, now))
            .cloned()
    }
}

/// Whether credentials that expire at `expires` may still start a call at `now`.
fn fresh(expires: SystemTime, now: SystemTime) -> bool {
    now + RENEW_BEFORE < expires
}

/// The role a Task's evaluated `Credentials` name: `{"RoleArn": "arn:…:iam::…:role/…"}`.
pub(crate) fn role_arn(credentials: &Value) -> Result<String, Failure> {
    match credentials.get("RoleArn") {
        Some(Value::String(arn)) if is_role_arn(arn) => Ok(arn.clone()),
        Some(Value::String(arn)) => Err(Failure::new(
            names::TASK_FAILED,
            format!(
                "The Task's Credentials.RoleArn '{arn}' is not an IAM role ARN \
                 (arn:<partition>:iam::<account>:role/<name>)"
            ),
        )),
        other => Err(Failure::new(
            names::TASK_FAILED,
            format!(
                "The Task's Credentials must have a RoleArn that is a string, not {}",
                other.map_or_else(|| "nothing".to_owned(), Value::to_string)
            ),
        )),
    }
}

fn is_role_arn(arn: &str) -> bool {
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(fields.as_slice(), ["arn", partition, "iam", "", account, resource]
        if !partition.is_empty()
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()))
}

fn cannot_assume(role_arn: &str, reason: &str) -> Failure {
    Failure::new(
        names::TASK_FAILED,
        format!("The role '{role_arn}' in the Task's Credentials could not be assumed: {reason}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_role_from_the_credentials() {
        let arn = "arn:aws:iam::123456789012:role/tasks";
        assert_eq!(role_arn(&json!({"RoleArn": arn})), Ok(arn.to_owned()));
        assert_eq!(
            role_arn(&json!({"RoleArn": "arn:aws-cn:iam::123456789012:role/path/tasks"})),
            Ok("arn:aws-cn:iam::123456789012:role/path/tasks".to_owned())
        );
        for bad in [
            json!({}),
            json!({"RoleArn": 7}),
            json!({"RoleArn": "tasks"}),
            json!({"RoleArn": "arn:aws:iam::123456789012:user/tasks"}),
            json!({"RoleArn": "arn:aws:iam::1234:role/tasks"}),
            json!({"RoleArn": "arn:aws:iam::123456789012:role/"}),
        ] {
            let failure = role_arn(&bad).expect_err(&bad.to_string());
            assert_eq!(failure.error.as_deref(), Some(names::TASK_FAILED), "{bad}");
        }
    }

    #[test]
    fn credentials_are_renewed_five_minutes_before_they_expire() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(fresh(now + Duration::from_secs(3600), now));
        assert!(fresh(now + Duration::from_secs(301), now));
        assert!(!fresh(now + Duration::from_secs(300), now));
        assert!(!fresh(now, now));
        assert!(!fresh(now - Duration::from_secs(1), now));
    }
}
