//! The `SdkHttpMetadata` and `SdkResponseMetadata` fields Step Functions adds to the results of
//! the integrations it runs through the Java SDK (Lambda's `lambda:invoke`, DynamoDB, SQS):
//!
//! ```json
//! {"SdkHttpMetadata": {"AllHttpHeaders": {"content-type": ["application/x-amz-json-1.0"], …},
//!                      "HttpHeaders": {"content-type": "application/x-amz-json-1.0", …},
//!                      "HttpStatusCode": 200},
//!  "SdkResponseMetadata": {"RequestId": "…"}}
//! ```
//!
//! The Rust SDK's outputs do not carry the HTTP response, so an [`HttpMetadata`] interceptor
//! attached to the one call records it. Header names come lower-cased (as HTTP/2 sends them;
//! the Java SDK keeps the case an HTTP/1.1 server wrote).

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use serde_json::{json, Map, Value};

/// Records the status and headers of a call's response. Attach a clone to the call with
/// `.customize().interceptor(…)`, then [`add_to`](Self::add_to) the result.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpMetadata {
    recorded: Arc<Mutex<Option<Recorded>>>,
}

#[derive(Debug)]
struct Recorded {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Intercept for HttpMetadata {
    fn name(&self) -> &'static str {
        "quickstep.HttpMetadata"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let recorded = Recorded {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        };
        if let Ok(mut slot) = self.recorded.lock() {
            *slot = Some(recorded);
        }
        Ok(())
    }
}

impl HttpMetadata {
    /// Adds `SdkHttpMetadata` (when a response was recorded) and `SdkResponseMetadata` to
    /// `result`.
    pub(crate) fn add_to(&self, result: &mut Map<String, Value>, request_id: Option<&str>) {
        let recorded = self.recorded.lock().ok().and_then(|mut slot| slot.take());
        if let Some(recorded) = recorded {
            let mut all = Map::new();
            let mut last = Map::new();
            for (name, value) in recorded.headers {
                if let Some(Value::Array(values)) = all.get_mut(&name) {
                    values.push(value.clone().into());
                } else {
                    all.insert(name.clone(), json!([value]));
                }
                last.insert(name, value.into());
            }
            result.insert(
                "SdkHttpMetadata".into(),
                json!({"AllHttpHeaders": all, "HttpHeaders": last, "HttpStatusCode": recorded.status}),
            );
        }
        result.insert(
            "SdkResponseMetadata".into(),
            json!({ "RequestId": request_id }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_value_and_keeps_the_last() {
        let metadata = HttpMetadata::default();
        *metadata.recorded.lock().unwrap() = Some(Recorded {
            status: 200,
            headers: vec![
                ("x-amzn-requestid".into(), "r1".into()),
                ("set-cookie".into(), "a".into()),
                ("set-cookie".into(), "b".into()),
            ],
        });
        let mut result = Map::new();
        result.insert("Item".into(), json!({}));
        metadata.add_to(&mut result, Some("r1"));
        assert_eq!(
            Value::Object(result),
            json!({
                "Item": {},
                "SdkHttpMetadata": {
                    "AllHttpHeaders": {"x-amzn-requestid": ["r1"], "set-cookie": ["a", "b"]},
                    "HttpHeaders": {"x-amzn-requestid": "r1", "set-cookie": "b"},
                    "HttpStatusCode": 200
                },
                "SdkResponseMetadata": {"RequestId": "r1"}
            })
        );
    }
}
