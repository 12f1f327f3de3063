//! The JSON documents SNS delivers (notifications and subscription
//! confirmations), laid out as AWS writes them: `"Key" : "value"` members,
//! one a line, with message attributes as compact objects.

use std::io;

use serde_json::ser::Formatter;
use serde_json::{Map, Value as Json};

use crate::signing::{Signer, string_to_sign};

/// Pretty for the outer two levels, compact below, with AWS's ` : `.
struct AwsLayout {
    depth: usize,
}

const PRETTY_LEVELS: usize = 2;

impl Formatter for AwsLayout {
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        let pretty = self.depth <= PRETTY_LEVELS;
        self.depth -= 1;
        if pretty {
            w.write_all(b"\n")?;
            w.write_all("  ".repeat(self.depth).as_bytes())?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.depth <= PRETTY_LEVELS {
            w.write_all(b"\n")?;
            w.write_all("  ".repeat(self.depth).as_bytes())?;
        }
        Ok(())
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.depth <= PRETTY_LEVELS {
            w.write_all(b" : ")
        } else {
            w.write_all(b":")
        }
    }
}

pub fn render(doc: &Map<String, Json>) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AwsLayout { depth: 0 });
    if serde::Serialize::serialize(doc, &mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// What a notification carries.
pub struct Notification<'a> {
    pub message_id: &'a str,
    pub sequence_number: Option<&'a str>,
    pub topic_arn: &'a str,
    pub subject: Option<&'a str>,
    pub message: &'a str,
    pub timestamp: &'a str,
    pub base_url: &'a str,
    pub subscription_arn: &'a str,
    /// name -> (Type, Value), already in SNS's notation.
    pub attributes: &'a [(String, String, String)],
    pub signer: &'a Signer,
    /// The topic's `SignatureVersion`: "1" (SHA1) or "2" (SHA256).
    pub signature_version: &'a str,
}

pub fn notification(n: &Notification) -> String {
    let mut m = Map::new();
    let s = |v: &str| Json::String(v.to_string());
    m.insert("Type".into(), s("Notification"));
    m.insert("MessageId".into(), s(n.message_id));
    if let Some(seq) = n.sequence_number {
        m.insert("SequenceNumber".into(), s(seq));
    }
    m.insert("TopicArn".into(), s(n.topic_arn));
    if let Some(subject) = n.subject {
        m.insert("Subject".into(), s(subject));
    }
    m.insert("Message".into(), s(n.message));
    m.insert("Timestamp".into(), s(n.timestamp));
    let text = string_to_sign(&[
        ("Message", Some(n.message)),
        ("MessageId", Some(n.message_id)),
        ("Subject", n.subject),
        ("Timestamp", Some(n.timestamp)),
        ("TopicArn", Some(n.topic_arn)),
        ("Type", Some("Notification")),
    ]);
    m.insert("SignatureVersion".into(), s(n.signature_version));
    m.insert(
        "Signature".into(),
        s(&n.signer.sign(n.signature_version, &text)),
    );
    m.insert(
        "SigningCertURL".into(),
        s(&format!("{}{}", n.base_url, n.signer.cert_path())),
    );
    m.insert(
        "UnsubscribeURL".into(),
        s(&format!(
            "{}/?Action=Unsubscribe&Version=2010-03-31&SubscriptionArn={}",
            n.base_url, n.subscription_arn
        )),
    );
    if !n.attributes.is_empty() {
        let mut attrs = Map::new();
        for (name, ty, value) in n.attributes {
            let mut a = Map::new();
            a.insert("Type".into(), s(ty));
            a.insert("Value".into(), s(value));
            attrs.insert(name.clone(), Json::Object(a));
        }
        m.insert("MessageAttributes".into(), Json::Object(attrs));
    }
    render(&m)
}

/// The confirmation sent to a new http/https subscriber, and its SubscribeURL.
pub fn confirmation(
    message_id: &str,
    token: &str,
    topic_arn: &str,
    timestamp: &str,
    base_url: &str,
    signer: &Signer,
    signature_version: &str,
) -> (String, String) {
    let subscribe_url = format!(
        "{base_url}/?Action=ConfirmSubscription&Version=2010-03-31&TopicArn={topic_arn}&Token={token}"
    );
    let mut m = Map::new();
    let s = |v: &str| Json::String(v.to_string());
    m.insert("Type".into(), s("SubscriptionConfirmation"));
    m.insert("MessageId".into(), s(message_id));
    m.insert("Token".into(), s(token));
    m.insert("TopicArn".into(), s(topic_arn));
    m.insert(
        "Message".into(),
        s(&format!(
            "You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message."
        )),
    );
    m.insert("SubscribeURL".into(), s(&subscribe_url));
    m.insert("Timestamp".into(), s(timestamp));
    let text = string_to_sign(&[
        ("Message", m["Message"].as_str()),
        ("MessageId", Some(message_id)),
        ("SubscribeURL", Some(subscribe_url.as_str())),
        ("Timestamp", Some(timestamp)),
        ("Token", Some(token)),
        ("TopicArn", Some(topic_arn)),
        ("Type", Some("SubscriptionConfirmation")),
    ]);
    m.insert("SignatureVersion".into(), s(signature_version));
    m.insert(
        "Signature".into(),
        s(&signer.sign(signature_version, &text)),
    );
    m.insert(
        "SigningCertURL".into(),
        s(&format!("{base_url}{}", signer.cert_path())),
    );
    (render(&m), subscribe_url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;

    #[test]
    fn layout_matches_aws() {
        let signer = Signer::generate(2048, "k".into(), 0).unwrap();
        let attrs = vec![("color".to_string(), "String".to_string(), "red".to_string())];
        let body = notification(&Notification {
            message_id: "m1",
            sequence_number: None,
            topic_arn: "arn:aws:sns:us-east-1:000000000000:t",
            subject: None,
            message: "hi \"there\"",
            timestamp: "2024-01-01T00:00:00.000Z",
            base_url: "http://127.0.0.1:4566",
            subscription_arn: "arn:aws:sns:us-east-1:000000000000:t:s1",
            attributes: &attrs,
            signer: &signer,
            signature_version: "1",
        });
        assert!(body.starts_with(
            "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"m1\",\n  \"TopicArn\" : "
        ));
        assert!(body.contains("\n  \"Message\" : \"hi \\\"there\\\"\",\n"));
        assert!(!body.contains("Subject"));
        assert!(body.ends_with("\n  \"MessageAttributes\" : {\n    \"color\" : {\"Type\":\"String\",\"Value\":\"red\"}\n  }\n}"));
        let parsed: Json = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["SignatureVersion"], "1");
        assert_eq!(
            parsed["SigningCertURL"],
            "http://127.0.0.1:4566/SimpleNotificationService-k.pem"
        );
        assert_eq!(
            B64.decode(parsed["Signature"].as_str().unwrap())
                .unwrap()
                .len(),
            256
        );
    }
}
