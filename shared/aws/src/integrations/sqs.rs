//! `arn:aws:states:::sqs:sendMessage`: `QueueUrl`, `MessageBody` (a string, or JSON sent as its
//! text), `DelaySeconds`, `MessageGroupId` and `MessageDeduplicationId`. The result is the
//! SendMessage response: `MD5OfMessageBody`, `MessageId`, `SequenceNumber` (FIFO queues),
//! `SdkHttpMetadata` and `SdkResponseMetadata`.

use aws_sdk_sqs::operation::send_message::SendMessageError;
use aws_sdk_sqs::operation::RequestId;
use aws_sdk_sqs::Client;
use quickstep_engine::failure::Failure;
use quickstep_runtime::invoker::Invocation;
use serde_json::{Map, Value};

use super::failures::{text_of, unusable_parameters, SQS};
use super::sdk_metadata::HttpMetadata;

/// The resource.
pub(crate) const SEND_MESSAGE: &str = "arn:aws:states:::sqs:sendMessage";

/// Sends the message `parameters` describe; parameters that make no request fail at once.
pub(crate) fn invoke(client: &Client, parameters: &Value) -> Invocation {
    match Message::read(parameters) {
        Ok(message) => {
            let client = client.clone();
            Invocation::Pending(Box::pin(async move { message.send(&client).await }))
        }
        Err(failure) => Invocation::Ready(Err(failure)),
    }
}

/// One SendMessage request, read from the parameters before anything runs.
#[derive(Debug)]
struct Message {
    queue_url: String,
    body: String,
    delay_seconds: Option<i32>,
    group_id: Option<String>,
    deduplication_id: Option<String>,
}

impl Message {
    fn read(parameters: &Value) -> Result<Self, Failure> {
        let present = |name: &str| parameters.get(name).filter(|v| !v.is_null());
        let text = |name: &str| present(name).and_then(Value::as_str).map(str::to_owned);
        let queue_url = text("QueueUrl").ok_or_else(|| {
            unusable_parameters(
                parameters,
                &[r#"The field "QueueUrl" is required"#.to_owned()],
            )
        })?;
        // Step Functions sends a request without a body, and SQS refuses it.
        let body = present("MessageBody")
            .map(text_of)
            .ok_or_else(|| SQS.refusal("The request must contain the parameter MessageBody."))?;
        Ok(Self {
            queue_url,
            body,
            delay_seconds: present("DelaySeconds")
                .and_then(Value::as_i64)
                .map(|delay| i32::try_from(delay).unwrap_or(i32::MAX)),
            group_id: text("MessageGroupId"),
            deduplication_id: text("MessageDeduplicationId"),
        })
    }

    async fn send(self, client: &Client) -> Result<Value, Failure> {
        let metadata = HttpMetadata::default();
        let out = client
            .send_message()
            .queue_url(self.queue_url)
            .message_body(self.body)
            .set_delay_seconds(self.delay_seconds)
            .set_message_group_id(self.group_id)
            .set_message_deduplication_id(self.deduplication_id)
            .customize()
            .interceptor(metadata.clone())
            .send()
            .await
            .map_err(|e| SQS.failure(&e, shape))?;
        let mut result = Map::new();
        if let Some(md5) = out.md5_of_message_body() {
            result.insert("MD5OfMessageBody".into(), md5.into());
        }
        if let Some(id) = out.message_id() {
            result.insert("MessageId".into(), id.into());
        }
        if let Some(sequence) = out.sequence_number() {
            result.insert("SequenceNumber".into(), sequence.into());
        }
        metadata.add_to(&mut result, out.request_id());
        Ok(Value::Object(result))
    }
}

/// The modeled error a SendMessage error is.
fn shape(err: &SendMessageError) -> Option<&'static str> {
    use SendMessageError as E;
    Some(match err {
        E::InvalidAddress(_) => "InvalidAddress",
        E::InvalidMessageContents(_) => "InvalidMessageContents",
        E::InvalidSecurity(_) => "InvalidSecurity",
        E::KmsAccessDenied(_) => "KmsAccessDenied",
        E::KmsDisabled(_) => "KmsDisabled",
        E::KmsInvalidKeyUsage(_) => "KmsInvalidKeyUsage",
        E::KmsInvalidState(_) => "KmsInvalidState",
        E::KmsNotFound(_) => "KmsNotFound",
        E::KmsOptInRequired(_) => "KmsOptInRequired",
        E::KmsThrottled(_) => "KmsThrottled",
        E::QueueDoesNotExist(_) => "QueueDoesNotExist",
        E::RequestThrottled(_) => "RequestThrottled",
        E::UnsupportedOperation(_) => "UnsupportedOperation",
        _ => return None,
    })
}
