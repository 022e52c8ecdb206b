//! Aliases of state machines: CreateStateMachineAlias, DescribeStateMachineAlias,
//! UpdateStateMachineAlias, DeleteStateMachineAlias and ListStateMachineAliases. An alias
//! names one version, or two with weights that add up to 100; executions started through it
//! run one of them (see [`super::versions`]).

use serde_json::{json, Value};

use super::arns;
use super::documents::Changed;
use super::fault::Fault;
use super::paging::Paging;
use super::request::{missing, required_text};
use super::versions::{description, NOT_FOUND};
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::{epoch_seconds as seconds, Alias, Published};
use crate::service::Service;

/// An alias's routing: (version number, weight in percent).
type Routing = Vec<(u64, u8)>;

/// Step Functions' limit on the aliases of one state machine.
const MAX_ALIASES: usize = 100;
const MAX_NAME: usize = 80;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    pub(super) async fn create_state_machine_alias(&self, request: &Value) -> Result<Value, Fault> {
        let alias = required_text(request, "name")?;
        if !valid_alias_name(alias) {
            return Err(Fault::client(
                "InvalidName",
                format!(
                    "Invalid Name: '{alias}': an alias name has 1 to {MAX_NAME} letters, digits, \
                     '_', '-' or '.', not all of them digits"
                ),
            ));
        }
        let description = description(request, "description")?;
        let (name, routing) = routing(request)?;
        let now = self.clock.now();
        let created = self
            .change_published(name, |published| {
                check_versions(self, name, published, &routing)?;
                if let Some(existing) = published.aliases.get(alias) {
                    // As Step Functions: the same request again is answered as the first.
                    if existing.routing == routing && existing.description == description {
                        return Ok(Changed {
                            value: existing.created,
                            write: false,
                        });
                    }
                    return Err(Fault::client(
                        "ConflictException",
                        format!(
                            "Failed to create alias because an alias with the same name and a \
                             different routing configuration already exists: '{}'",
                            self.alias_arn(name, alias)
                        ),
                    ));
                }
                if published.aliases.len() >= MAX_ALIASES {
                    return Err(Fault::client(
                        "ServiceQuotaExceededException",
                        format!("a state machine has at most {MAX_ALIASES} aliases"),
                    ));
                }
                published.aliases.insert(
                    alias.to_owned(),
                    Alias {
                        description: description.clone(),
                        routing: routing.clone(),
                        created: now,
                        updated: now,
                    },
                );
                Ok(Changed {
                    value: now,
                    write: true,
                })
            })
            .await?;
        Ok(json!({
            "stateMachineAliasArn": self.alias_arn(name, alias),
            "creationDate": seconds(created),
        }))
    }

    pub(super) async fn describe_state_machine_alias(
        &self,
        request: &Value,
    ) -> Result<Value, Fault> {
        let arn = required_text(request, "stateMachineAliasArn")?;
        let (name, alias) = arns::alias(arn)?;
        let published = self.published(name).await?;
        let found = published.aliases.get(alias).ok_or_else(|| not_found(arn))?;
        let routing: Vec<Value> = found
            .routing
            .iter()
            .map(|(version, weight)| {
                json!({"stateMachineVersionArn": self.version_arn(name, *version), "weight": weight})
            })
            .collect();
        let mut answer = json!({
            "stateMachineAliasArn": arn,
            "name": alias,
            "routingConfiguration": routing,
            "creationDate": seconds(found.created),
            "updateDate": seconds(found.updated),
        });
        if let Some(description) = &found.description {
            answer["description"] = json!(description);
        }
        Ok(answer)
    }

    pub(super) async fn update_state_machine_alias(&self, request: &Value) -> Result<Value, Fault> {
        let arn = required_text(request, "stateMachineAliasArn")?;
        let (name, alias) = arns::alias(arn)?;
        let description = description(request, "description")?;
        let routing = match request.get("routingConfiguration") {
            None | Some(Value::Null) => None,
            Some(_) => {
                let (of, routing) = self::routing(request)?;
                if of != name {
                    return Err(other_machine(name));
                }
                Some(routing)
            }
        };
        if description.is_none() && routing.is_none() {
            return Err(Fault::validation(
                "Either the description or the routing configuration must be specified",
            ));
        }
        let now = self.clock.now();
        self.change_published(name, |published| {
            if let Some(routing) = &routing {
                check_versions(self, name, published, routing)?;
            }
            let found = published
                .aliases
                .get_mut(alias)
                .ok_or_else(|| not_found(arn))?;
            if let Some(routing) = &routing {
                found.routing.clone_from(routing);
            }
            if description.is_some() {
                found.description.clone_from(&description);
            }
            found.updated = now;
            Ok(Changed {
                value: (),
                write: true,
            })
        })
        .await?;
        Ok(json!({"updateDate": seconds(now)}))
    }

    pub(super) async fn delete_state_machine_alias(&self, request: &Value) -> Result<Value, Fault> {
        let arn = required_text(request, "stateMachineAliasArn")?;
        let (name, alias) = arns::alias(arn)?;
        self.change_published(name, |published| {
            published
                .aliases
                .remove(alias)
                .ok_or_else(|| not_found(arn))?;
            Ok(Changed {
                value: (),
                write: true,
            })
        })
        .await?;
        Ok(json!({}))
    }

    pub(super) async fn list_state_machine_aliases(&self, request: &Value) -> Result<Value, Fault> {
        let name = arns::state_machine_name(required_text(request, "stateMachineArn")?)?;
        let paging = Paging::of(request)?;
        self.get_state_machine(name)
            .await
            .map_err(|e| Fault::from_service(e, "StateMachineDoesNotExist"))?;
        let published = self.published(name).await?;
        let aliases: Vec<(&String, &Alias)> = published.aliases.iter().collect();
        let page = paging.page(aliases.len())?;
        let listed: Vec<Value> = aliases[page.range]
            .iter()
            .map(|(alias, a)| {
                json!({
                    "stateMachineAliasArn": self.alias_arn(name, alias),
                    "creationDate": seconds(a.created),
                })
            })
            .collect();
        let mut answer = json!({"stateMachineAliases": listed});
        if let Some(token) = page.next_token {
            answer["nextToken"] = json!(token);
        }
        Ok(answer)
    }
}

/// An alias's name: letters, digits, `_`, `-` and `.`, not all digits (it would read as a
/// version).
fn valid_alias_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.chars().all(|c| c.is_ascii_digit())
}

/// `routingConfiguration`: one or two different versions of one state machine, with weights
/// from 0 to 100 that add up to 100. Answers the state machine's name and (version, weight).
fn routing(request: &Value) -> Result<(&str, Routing), Fault> {
    let Some(Value::Array(routes)) = request.get("routingConfiguration") else {
        return Err(missing("routingConfiguration"));
    };
    if routes.is_empty() || routes.len() > 2 {
        return Err(Fault::validation(
            "An alias routes to one version, or to two with weights",
        ));
    }
    let mut name = None;
    let mut routing = Vec::new();
    for route in routes {
        let arn = route
            .get("stateMachineVersionArn")
            .and_then(Value::as_str)
            .ok_or_else(|| missing("routingConfiguration.stateMachineVersionArn"))?;
        let (of, number) = arns::version(arn)?;
        if name.is_some_and(|n| n != of) {
            return Err(other_machine(name.unwrap_or_default()));
        }
        name = Some(of);
        let weight = route
            .get("weight")
            .and_then(Value::as_u64)
            .filter(|w| *w <= 100)
            .and_then(|w| u8::try_from(w).ok())
            .ok_or_else(|| {
                Fault::validation(format!(
                    "a route's weight is a number from 0 to 100: {route}"
                ))
            })?;
        if routing.iter().any(|(v, _)| *v == number) {
            return Err(Fault::validation(format!(
                "the routing configuration names version {number} twice"
            )));
        }
        routing.push((number, weight));
    }
    if routing.iter().map(|(_, w)| u32::from(*w)).sum::<u32>() != 100 {
        return Err(Fault::validation(
            "the weights of an alias's routing configuration must add up to 100",
        ));
    }
    Ok((name.unwrap_or_default(), routing))
}

/// Every version of `routing` must exist.
fn check_versions<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    name: &str,
    published: &Published,
    routing: &[(u64, u8)],
) -> Result<(), Fault> {
    match routing
        .iter()
        .find(|(v, _)| published.version(*v).is_none())
    {
        Some((v, _)) => Err(not_found(&service.version_arn(name, *v))),
        None => Ok(()),
    }
}

fn other_machine(name: &str) -> Fault {
    Fault::validation(format!(
        "the versions of an alias's routing configuration must be of one state machine ('{name}')"
    ))
}

fn not_found(arn: &str) -> Fault {
    Fault::client(NOT_FOUND, format!("Resource not found: '{arn}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_are_checked_as_step_functions_checks_them() {
        for good in ["PROD", "v1.2", "blue_green-2", "1a"] {
            assert!(valid_alias_name(good), "{good}");
        }
        for bad in ["", "12", "has space", "a:b", &"a".repeat(81)] {
            assert!(!valid_alias_name(bad), "{bad}");
        }
    }
}
