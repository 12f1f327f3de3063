//! Delivery to http subscribers. Only loopback endpoints are contacted
//! (Stratus never talks beyond 127.0.0.1); others are recorded as undelivered.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// (host, port, path) of an `http://` URL on the loopback interface.
pub fn loopback_target(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, 80),
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
        .then(|| ("127.0.0.1".to_string(), port, path.to_string()))
}

const ATTEMPTS: u32 = 3;
const RETRY_DELAY: Duration = Duration::from_millis(500);
const TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs `body` with SNS's headers, retrying failures; true once a 2xx answer came.
pub async fn post(url: &str, headers: &[(&str, String)], body: &str) -> bool {
    let Some((host, port, path)) = loopback_target(url) else {
        return false;
    };
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(RETRY_DELAY * attempt).await;
        }
        let once =
            tokio::time::timeout(TIMEOUT, post_once(&host, port, &path, headers, body)).await;
        if matches!(once, Ok(Ok(status)) if (200..300).contains(&status)) {
            return true;
        }
    }
    false
}

async fn post_once(
    host: &str,
    port: u16,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect((host, port)).await?;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: Amazon Simple Notification Service Agent\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut buf = vec![0u8; 1024];
    let n = stream.read(&mut buf).await?;
    let line = String::from_utf8_lossy(&buf[..n]);
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert_eq!(
            loopback_target("http://127.0.0.1:8080/hook"),
            Some(("127.0.0.1".into(), 8080, "/hook".into()))
        );
        assert_eq!(
            loopback_target("http://localhost:81"),
            Some(("127.0.0.1".into(), 81, "/".into()))
        );
        assert_eq!(loopback_target("http://example.com/x"), None);
        assert_eq!(loopback_target("https://127.0.0.1/x"), None);
    }
}
