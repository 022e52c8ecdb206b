//! Versions of state machines: PublishStateMachineVersion (also CreateStateMachine's and
//! UpdateStateMachine's `publish`), ListStateMachineVersions, DeleteStateMachineVersion,
//! DescribeStateMachine of a version, and which revision an execution started through a
//! version or an alias runs.
//!
//! A version is a number naming one immutable revision; numbers are never used again. A state
//! machine's versions and aliases are one document in the store, changed by reading it and
//! writing it back conditionally on the version read, tried again when another change came
//! first, so none is lost.

use serde_json::{json, Value};

use super::arns::{self, Qualifier};
use super::documents::{self, Changed};
use super::fault::Fault;
use super::paging::Paging;
use super::request::{optional_text, required_text};
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::{epoch_seconds as seconds, Published, Version};
use crate::service::{Service, Target};

/// Step Functions' limits: versions and aliases of one state machine.
pub(super) const MAX_VERSIONS: usize = 1000;
const MACHINE_MISSING: &str = "StateMachineDoesNotExist";
pub(super) const NOT_FOUND: &str = "ResourceNotFound";
/// The longest description of a version or an alias.
const MAX_DESCRIPTION: usize = 256;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    pub(super) async fn publish_state_machine_version(
        &self,
        request: &Value,
    ) -> Result<Value, Fault> {
        let name = arns::state_machine_name(required_text(request, "stateMachineArn")?)?;
        let revision_id = optional_text(request, "revisionId")?;
        let description = description(request, "description")?;
        self.publish(name, revision_id.as_deref(), description)
            .await
    }

    /// Publishes the current revision of `name` as a version (the one it has if it was
    /// published already) and answers PublishStateMachineVersion's response.
    pub(super) async fn publish(
        &self,
        name: &str,
        revision_id: Option<&str>,
        description: Option<String>,
    ) -> Result<Value, Fault> {
        let current = self
            .get_state_machine(name)
            .await
            .map_err(|e| Fault::from_service(e, MACHINE_MISSING))?;
        if let Some(asked) = revision_id {
            let initial =
                asked == "INITIAL" && self.is_first_revision(name, current.revision).await?;
            if !initial && asked != current.revision.to_string() {
                return Err(Fault::client(
                    "ConflictException",
                    format!(
                        "Failed to publish the State Machine version: the current revision is \
                         '{}', not '{asked}'",
                        current.revision
                    ),
                ));
            }
        }
        let now = self.clock.now();
        let version = self
            .change_published(name, |published| {
                if let Some(v) = published
                    .versions
                    .iter()
                    .find(|v| v.revision == current.revision)
                {
                    return Ok(Changed {
                        value: v.clone(),
                        write: false,
                    });
                }
                if published.versions.len() >= MAX_VERSIONS {
                    return Err(Fault::client(
                        "ServiceQuotaExceededException",
                        format!(
                            "a state machine has at most {MAX_VERSIONS} versions: delete unused \
                             ones with DeleteStateMachineVersion"
                        ),
                    ));
                }
                published.last_number += 1;
                let version = Version {
                    number: published.last_number,
                    revision: current.revision,
                    description: description.clone(),
                    created: now,
                };
                published.versions.push(version.clone());
                Ok(Changed {
                    value: version,
                    write: true,
                })
            })
            .await?;
        Ok(json!({
            "creationDate": seconds(version.created),
            "stateMachineVersionArn": self.version_arn(name, version.number),
        }))
    }

    pub(super) async fn list_state_machine_versions(
        &self,
        request: &Value,
    ) -> Result<Value, Fault> {
        let name = arns::state_machine_name(required_text(request, "stateMachineArn")?)?;
        let paging = Paging::of(request)?;
        self.get_state_machine(name)
            .await
            .map_err(|e| Fault::from_service(e, MACHINE_MISSING))?;
        let published = self.published(name).await?;
        let newest_first: Vec<&Version> = published.versions.iter().rev().collect();
        let page = paging.page(newest_first.len())?;
        let versions: Vec<Value> = newest_first[page.range]
            .iter()
            .map(|v| {
                json!({
                    "stateMachineVersionArn": self.version_arn(name, v.number),
                    "creationDate": seconds(v.created),
                })
            })
            .collect();
        let mut answer = json!({"stateMachineVersions": versions});
        if let Some(token) = page.next_token {
            answer["nextToken"] = json!(token);
        }
        Ok(answer)
    }

    /// As Step Functions: deleting a version that does not exist succeeds; one an alias
    /// routes executions to is a `ConflictException`.
    pub(super) async fn delete_state_machine_version(
        &self,
        request: &Value,
    ) -> Result<Value, Fault> {
        let arn = required_text(request, "stateMachineVersionArn")?;
        let (name, number) = arns::version(arn)?;
        self.change_published(name, |published| {
            let routing: Vec<String> = published
                .aliases
                .iter()
                .filter(|(_, alias)| alias.routing.iter().any(|(v, _)| *v == number))
                .map(|(alias, _)| self.alias_arn(name, alias))
                .collect();
            if !routing.is_empty() {
                return Err(Fault::client(
                    "ConflictException",
                    format!(
                        "Version to be deleted must not be referenced by an alias. Current list \
                         of aliases referencing this version: {routing:?}"
                    ),
                ));
            }
            let before = published.versions.len();
            published.versions.retain(|v| v.number != number);
            Ok(Changed {
                value: (),
                write: published.versions.len() != before,
            })
        })
        .await?;
        Ok(json!({}))
    }

    /// DescribeStateMachine of the version `number` of `name`.
    pub(super) async fn describe_version(&self, name: &str, number: u64) -> Result<Value, Fault> {
        let arn = self.version_arn(name, number);
        let missing = || {
            Fault::client(
                MACHINE_MISSING,
                format!("State Machine Does Not Exist: '{arn}'"),
            )
        };
        let published = self.published(name).await?;
        let version = published.version(number).ok_or_else(missing)?;
        let record = self
            .store
            .get_revision(name, version.revision)
            .await
            .map_err(|e| Fault::from_service(e.into(), MACHINE_MISSING))?
            .ok_or_else(missing)?;
        let mut answer = self.machine_description(&record);
        answer["stateMachineArn"] = json!(arn);
        answer["creationDate"] = json!(seconds(version.created));
        if let Some(description) = &version.description {
            answer["description"] = json!(description);
        }
        Ok(answer)
    }

    /// Which revision an execution of `name` started through `qualifier` runs, and the
    /// version and alias it was started through. An alias routing to two versions picks one
    /// at random, by their weights.
    pub(super) async fn target(
        &self,
        name: &str,
        qualifier: Option<Qualifier<'_>>,
    ) -> Result<Target, Fault> {
        let Some(qualifier) = qualifier else {
            return Ok(Target::default());
        };
        let published = self.published(name).await?;
        let (number, alias_arn) = match qualifier {
            Qualifier::Version(number) => (Some(number), None),
            Qualifier::Alias(alias) => {
                let routed = published.aliases.get(alias).and_then(|a| {
                    let draw = self.ids.seed() % 100;
                    let mut below = 0_u64;
                    a.routing.iter().find_map(|(version, weight)| {
                        below += u64::from(*weight);
                        (draw < below).then_some(*version)
                    })
                });
                (routed, Some(self.alias_arn(name, alias)))
            }
        };
        let version = number.and_then(|n| published.version(n)).ok_or_else(|| {
            let asked = match qualifier {
                Qualifier::Version(n) => self.version_arn(name, n),
                Qualifier::Alias(alias) => self.alias_arn(name, alias),
            };
            Fault::client(
                MACHINE_MISSING,
                format!("State Machine Does Not Exist: '{asked}'"),
            )
        })?;
        Ok(Target {
            revision: Some(version.revision),
            version_arn: Some(self.version_arn(name, version.number)),
            alias_arn,
        })
    }

    pub(super) fn version_arn(&self, name: &str, number: u64) -> String {
        format!("{}:{number}", self.config.state_machine_arn(name))
    }

    pub(super) fn alias_arn(&self, name: &str, alias: &str) -> String {
        format!("{}:{alias}", self.config.state_machine_arn(name))
    }

    pub(super) async fn published(&self, name: &str) -> Result<Published, Fault> {
        self.store
            .get_published(name)
            .await
            .map_err(|e| Fault::from_service(e.into(), MACHINE_MISSING))
    }

    /// Changes the versions and aliases of `name` (see [`documents::change`]).
    pub(super) async fn change_published<T>(
        &self,
        name: &str,
        change: impl FnMut(&mut Published) -> Result<Changed<T>, Fault>,
    ) -> Result<T, Fault> {
        documents::change(
            || self.store.get_published(name),
            |published| async move { self.store.put_published(name, &published).await },
            change,
            MACHINE_MISSING,
        )
        .await
    }

    /// Whether `revision` is the first of the state machine as it exists now (`INITIAL`).
    async fn is_first_revision(&self, name: &str, revision: u64) -> Result<bool, Fault> {
        if revision <= 1 {
            return Ok(true);
        }
        let before = self
            .store
            .get_revision(name, revision - 1)
            .await
            .map_err(|e| Fault::from_service(e.into(), MACHINE_MISSING))?;
        Ok(before.is_none_or(|r| r.deleted))
    }
}

/// An optional description (`field`) of a version or an alias: at most 256 characters.
pub(super) fn description(request: &Value, field: &str) -> Result<Option<String>, Fault> {
    let description = optional_text(request, field)?;
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        return Err(Fault::validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: \
             Member must have length less than or equal to {MAX_DESCRIPTION}"
        )));
    }
    Ok(description)
}
