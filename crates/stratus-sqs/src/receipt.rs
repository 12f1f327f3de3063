//! Receipt handles: opaque to clients, they name the queue, the message and
//! the receive that handed it out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

pub struct Receipt {
    pub queue_key: String,
    pub seq: u64,
    pub message_id: String,
    pub nonce: String,
}

pub fn encode(queue_key: &str, seq: u64, message_id: &str, nonce: &str) -> String {
    B64.encode(format!("{queue_key}\n{seq}\n{message_id}\n{nonce}"))
}

pub fn decode(handle: &str) -> Option<Receipt> {
    let raw = String::from_utf8(B64.decode(handle.trim()).ok()?).ok()?;
    let mut p = raw.split('\n');
    let r = Receipt {
        queue_key: p.next()?.to_string(),
        seq: p.next()?.parse().ok()?,
        message_id: p.next()?.to_string(),
        nonce: p.next()?.to_string(),
    };
    p.next().is_none().then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_garbage_is_refused() {
        let h = encode("000000000000/us-east-1/q", 7, "id-1", "n1");
        let r = decode(&h).unwrap();
        assert_eq!(
            (
                r.queue_key.as_str(),
                r.seq,
                r.message_id.as_str(),
                r.nonce.as_str()
            ),
            ("000000000000/us-east-1/q", 7, "id-1", "n1")
        );
        assert!(decode("not-a-handle").is_none());
        assert!(decode(&B64.encode("a\nb")).is_none());
    }
}
