//! The MD5 digests SQS returns so clients can check what it stored: of the
//! body, and of the message (or system) attributes in AWS's binary encoding.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use crate::message::Attribute;

pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// AWS's encoding: attributes sorted by name; each as length-prefixed name,
/// length-prefixed data type, a transport byte (1 string, 2 binary) and the
/// length-prefixed value; all lengths 4-byte big-endian.
pub fn md5_of_attributes(attrs: &BTreeMap<String, Attribute>) -> Option<String> {
    if attrs.is_empty() {
        return None;
    }
    let mut buf = Vec::new();
    let field = |buf: &mut Vec<u8>, bytes: &[u8]| {
        buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        buf.extend_from_slice(bytes);
    };
    // BTreeMap iterates in byte order of the names, which is AWS's order.
    for (name, a) in attrs {
        field(&mut buf, name.as_bytes());
        field(&mut buf, a.data_type.as_bytes());
        match (&a.string_value, &a.binary_value) {
            (Some(s), _) => {
                buf.push(1);
                field(&mut buf, s.as_bytes());
            }
            (None, Some(b)) => {
                buf.push(2);
                field(&mut buf, b);
            }
            (None, None) => {}
        }
    }
    Some(md5_hex(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(data_type: &str, v: &str) -> Attribute {
        Attribute {
            data_type: data_type.into(),
            string_value: Some(v.into()),
            binary_value: None,
        }
    }

    #[test]
    fn body_digest_is_plain_md5() {
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn attribute_digests_match_aws() {
        // Digests AWS returned for these attributes.
        let mut a = BTreeMap::new();
        a.insert("SellerName".to_string(), string("String", "Example Store"));
        assert_eq!(
            md5_of_attributes(&a).as_deref(),
            Some("cd28f3b68aeee4b2eac9c66f2f694b58")
        );
        let mut b = BTreeMap::new();
        b.insert("timestamp".to_string(), string("Number", "1493147359900"));
        assert_eq!(
            md5_of_attributes(&b).as_deref(),
            Some("235c5c510d26fb653d073faed50ae77c")
        );
    }

    #[test]
    fn binary_attributes_use_transport_byte_two() {
        let mut a = BTreeMap::new();
        a.insert(
            "b".to_string(),
            Attribute {
                data_type: "Binary".into(),
                string_value: None,
                binary_value: Some(vec![1, 2, 3]),
            },
        );
        let mut expected = Vec::new();
        expected.extend_from_slice(&[0, 0, 0, 1, b'b', 0, 0, 0, 6]);
        expected.extend_from_slice(b"Binary");
        expected.extend_from_slice(&[2, 0, 0, 0, 3, 1, 2, 3]);
        assert_eq!(md5_of_attributes(&a), Some(md5_hex(&expected)));
        assert_eq!(md5_of_attributes(&BTreeMap::new()), None);
    }
}
