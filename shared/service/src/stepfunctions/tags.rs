//! Tags of state machines: TagResource, UntagResource, ListTagsForResource, and the `tags` of
//! CreateStateMachine. Each change reads the tags and writes them back conditionally on the
//! version read, trying again when another change came first, so none is lost.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::arns;
use super::documents::{self, Changed};
use super::fault::Fault;
use super::request::required_text;
use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::Tags;
use crate::service::Service;

/// Step Functions' limit on a resource's tags.
const MAX_TAGS: usize = 50;
const MAX_KEY_LENGTH: usize = 128;
const MAX_VALUE_LENGTH: usize = 256;

/// What a change does to the tags.
enum Change {
    Add(BTreeMap<String, String>),
    Remove(Vec<String>),
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    pub(super) async fn tag_resource(&self, request: &Value) -> Result<Value, Fault> {
        let name = self.tagged_machine(request).await?;
        let tags = tag_list(request.get("tags"))?;
        self.change_tags(&name, Change::Add(tags)).await?;
        Ok(json!({}))
    }

    pub(super) async fn untag_resource(&self, request: &Value) -> Result<Value, Fault> {
        let name = self.tagged_machine(request).await?;
        let keys = match request.get("tagKeys") {
            Some(Value::Array(keys)) => keys
                .iter()
                .map(|k| k.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| Fault::validation("'tagKeys' must be a list of strings"))?,
            _ => return Err(super::request::missing("tagKeys")),
        };
        self.change_tags(&name, Change::Remove(keys)).await?;
        Ok(json!({}))
    }

    pub(super) async fn list_tags_for_resource(&self, request: &Value) -> Result<Value, Fault> {
        let name = self.tagged_machine(request).await?;
        let tags = self
            .store
            .get_tags(&name)
            .await
            .map_err(|e| Fault::from_service(e.into(), NOT_FOUND))?;
        let tags: Vec<Value> = tags
            .tags
            .iter()
            .map(|(key, value)| json!({"key": key, "value": value}))
            .collect();
        Ok(json!({"tags": tags}))
    }

    /// Tags a state machine just created with CreateStateMachine's `tags` (read by
    /// [`create_tags`] before it was created).
    pub(super) async fn tag_new_machine(
        &self,
        name: &str,
        tags: BTreeMap<String, String>,
    ) -> Result<(), Fault> {
        if tags.is_empty() {
            return Ok(());
        }
        self.change_tags(name, Change::Add(tags)).await
    }

    /// The state machine `resourceArn` names; it must exist.
    async fn tagged_machine(&self, request: &Value) -> Result<String, Fault> {
        let arn = required_text(request, "resourceArn")?;
        let name = arns::state_machine_name(arn)?;
        self.get_state_machine(name).await.map_err(|e| match e {
            ServiceError::NotFound(_) => {
                Fault::client(NOT_FOUND, format!("Resource not found: '{arn}'"))
            }
            other => Fault::from_service(other, NOT_FOUND),
        })?;
        Ok(name.to_owned())
    }

    async fn change_tags(&self, name: &str, change: Change) -> Result<(), Fault> {
        documents::change(
            || self.store.get_tags(name),
            |tags: Tags| async move { self.store.put_tags(name, &tags.tags, tags.version).await },
            |current: &mut Tags| {
                match &change {
                    Change::Add(added) => current.tags.extend(added.clone()),
                    Change::Remove(keys) => current.tags.retain(|k, _| !keys.contains(k)),
                }
                if current.tags.len() > MAX_TAGS {
                    return Err(Fault::client(
                        "TooManyTags",
                        format!(
                            "a resource has at most {MAX_TAGS} tags; this would make {}",
                            current.tags.len()
                        ),
                    ));
                }
                Ok(Changed {
                    value: (),
                    write: true,
                })
            },
            NOT_FOUND,
        )
        .await
    }
}

const NOT_FOUND: &str = "ResourceNotFound";

/// CreateStateMachine's `tags`, checked before the state machine is created.
pub(super) fn create_tags(request: &Value) -> Result<BTreeMap<String, String>, Fault> {
    match request.get("tags") {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        tags => tag_list(tags),
    }
}

/// `tags`: a list of `{"key", "value"}`, checked as Step Functions checks them.
fn tag_list(tags: Option<&Value>) -> Result<BTreeMap<String, String>, Fault> {
    let Some(Value::Array(items)) = tags else {
        return Err(super::request::missing("tags"));
    };
    let mut tags = BTreeMap::new();
    for item in items {
        let key = item.get("key").and_then(Value::as_str);
        let value = item.get("value").and_then(Value::as_str).unwrap_or("");
        let Some(key) = key.filter(|k| !k.is_empty() && k.chars().count() <= MAX_KEY_LENGTH) else {
            return Err(Fault::validation(format!(
                "a tag's key is 1 to {MAX_KEY_LENGTH} characters: {item}"
            )));
        };
        if value.chars().count() > MAX_VALUE_LENGTH {
            return Err(Fault::validation(format!(
                "a tag's value is at most {MAX_VALUE_LENGTH} characters (tag '{key}')"
            )));
        }
        tags.insert(key.to_owned(), value.to_owned());
    }
    Ok(tags)
}
