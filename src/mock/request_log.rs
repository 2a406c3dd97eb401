//! The log of `/v2` requests that `GET /_mock/requests` returns, so tests can check what a
//! client sent (and that it did not send what it must not).
//!
//! The log is bounded twice, so that neither many small requests nor fewer large ones can grow
//! the emulator without limit: at most [`MAX_ENTRIES`] entries and at most [`MAX_LOG_BYTES`]
//! bytes (what the entries hold on the heap plus their fixed size). The oldest entries are
//! evicted first. A body longer than [`MAX_LOGGED_BODY_BYTES`] is kept as a string of its first
//! bytes followed by a `… [truncated: N bytes in all]` marker.
//!
//! Bodies are kept as the text that was received (JSON is only checked, not parsed into a
//! tree), so an entry costs about what it weighs; they are turned back into JSON when the log
//! is served.

use std::collections::VecDeque;
use std::mem::size_of;

use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Oldest entries are forgotten beyond this many, so long benchmark runs stay bounded.
pub const MAX_ENTRIES: usize = 50_000;
/// Oldest entries are forgotten once the log holds more than this many bytes.
pub const MAX_LOG_BYTES: usize = 16 * 1024 * 1024;
/// Longer bodies are logged truncated, with a marker.
pub const MAX_LOGGED_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The status answered (or, for `drop_after_handling`, the one that was lost); `None` when
    /// the connection was dropped before handling.
    pub status: Option<u16>,
    /// The request body: JSON as sent, `null` when empty or never read (a request refused
    /// before its body was read), a string when it was not JSON or was truncated.
    pub body: LoggedBody,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub request_id: String,
    /// The id of the fault that affected the request, if any.
    pub fault: Option<String>,
}

impl LoggedRequest {
    /// What the entry counts against [`MAX_LOG_BYTES`].
    fn weight(&self) -> usize {
        size_of::<LoggedRequest>()
            + self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self.body.len()
            + self.request_id.len()
            + self.fault.as_ref().map_or(0, String::len)
    }
}

/// A request body as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedBody {
    /// Empty, or not read.
    None,
    /// Valid JSON text, as received.
    Json(Box<str>),
    /// Anything else (or a truncated body), served as a JSON string.
    Text(Box<str>),
}

impl LoggedBody {
    /// The loggable form of a body that was read in full.
    pub fn of(bytes: &[u8]) -> LoggedBody {
        if bytes.is_empty() {
            return LoggedBody::None;
        }
        if bytes.len() > MAX_LOGGED_BODY_BYTES {
            let mut end = MAX_LOGGED_BODY_BYTES;
            let text = loop {
                match std::str::from_utf8(&bytes[..end]) {
                    Ok(text) => break text.to_string(),
                    // Cut inside a character: drop its first bytes (at most 3).
                    Err(error) if error.error_len().is_none() => end = error.valid_up_to(),
                    Err(_) => break String::from_utf8_lossy(&bytes[..end]).into_owned(),
                }
            };
            let marker = format!("… [truncated: {} bytes in all]", bytes.len());
            return LoggedBody::Text((text + &marker).into_boxed_str());
        }
        match std::str::from_utf8(bytes) {
            Ok(text) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => {
                LoggedBody::Json(text.into())
            }
            _ => LoggedBody::Text(String::from_utf8_lossy(bytes).into()),
        }
    }

    fn len(&self) -> usize {
        match self {
            LoggedBody::None => 0,
            LoggedBody::Json(text) | LoggedBody::Text(text) => text.len(),
        }
    }
}

impl Serialize for LoggedBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LoggedBody::None => serializer.serialize_none(),
            LoggedBody::Json(text) => serde_json::from_str::<Value>(text)
                .map_err(S::Error::custom)?
                .serialize(serializer),
            LoggedBody::Text(text) => serializer.serialize_str(text),
        }
    }
}

#[derive(Debug, Default)]
pub struct RequestLog {
    next_seq: u64,
    entries: VecDeque<LoggedRequest>,
    /// The sum of the entries' weights.
    bytes: usize,
}

impl RequestLog {
    /// Appends an entry, assigning its sequence number (from 1), and evicts the oldest entries
    /// beyond [`MAX_ENTRIES`] or [`MAX_LOG_BYTES`].
    pub fn push(&mut self, mut entry: LoggedRequest) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        let weight = entry.weight();
        while !self.entries.is_empty()
            && (self.entries.len() >= MAX_ENTRIES || self.bytes + weight > MAX_LOG_BYTES)
        {
            self.evict_oldest();
        }
        self.bytes += weight;
        self.entries.push_back(entry);
    }

    fn evict_oldest(&mut self) {
        if let Some(evicted) = self.entries.pop_front() {
            self.bytes -= evicted.weight();
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = &LoggedRequest> {
        self.entries.iter()
    }

    /// Forgets the entries; sequence numbers keep counting so a test can tell runs apart.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    /// Forgets everything, including the sequence.
    pub fn reset(&mut self) {
        *self = RequestLog::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> LoggedRequest {
        LoggedRequest {
            seq: 0,
            method: "GET".into(),
            path: "/v2/databases".into(),
            query: None,
            status: Some(200),
            body: LoggedBody::None,
            at_ms: 0,
            request_id: "r".into(),
            fault: None,
        }
    }

    fn with_body(bytes: &[u8]) -> LoggedRequest {
        LoggedRequest {
            body: LoggedBody::of(bytes),
            ..entry()
        }
    }

    #[test]
    fn sequence_numbers_survive_clear_but_not_reset() {
        let mut log = RequestLog::default();
        log.push(entry());
        log.push(entry());
        assert_eq!(log.entries().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        log.clear();
        log.push(entry());
        assert_eq!(log.entries().next().unwrap().seq, 3);
        log.reset();
        log.push(entry());
        assert_eq!(log.entries().next().unwrap().seq, 1);
    }

    #[test]
    fn entry_count_is_capped() {
        let mut log = RequestLog::default();
        for _ in 0..MAX_ENTRIES + 10 {
            log.push(entry());
        }
        assert_eq!(log.entries().count(), MAX_ENTRIES);
        assert_eq!(log.entries().next().unwrap().seq, 11);
    }

    #[test]
    fn total_bytes_are_capped_oldest_first() {
        let mut log = RequestLog::default();
        let body = vec![b'x'; MAX_LOGGED_BODY_BYTES];
        let per_entry = with_body(&body).weight();
        let fits = MAX_LOG_BYTES / per_entry;
        let pushed = fits + 25;
        for _ in 0..pushed {
            log.push(with_body(&body));
            assert!(log.bytes <= MAX_LOG_BYTES, "{} bytes", log.bytes);
        }
        assert_eq!(log.entries().count(), fits);
        let seqs: Vec<u64> = log.entries().map(|e| e.seq).collect();
        let first_kept = (pushed - fits + 1) as u64;
        assert_eq!(seqs.first(), Some(&first_kept), "the oldest went first");
        assert_eq!(seqs.last(), Some(&(pushed as u64)));
        assert!(seqs.windows(2).all(|pair| pair[1] == pair[0] + 1));
        assert_eq!(
            log.bytes,
            log.entries().map(LoggedRequest::weight).sum::<usize>()
        );

        log.push(entry());
        log.clear();
        assert_eq!(log.bytes, 0);
        log.push(entry());
        assert_eq!(log.entries().next().unwrap().seq, pushed as u64 + 2);
    }

    #[test]
    fn long_bodies_are_truncated_with_a_marker() {
        let mut body = vec![b'a'; MAX_LOGGED_BODY_BYTES - 1];
        body.extend("é and more".as_bytes());
        let LoggedBody::Text(text) = LoggedBody::of(&body) else {
            panic!("a truncated body is logged as text")
        };
        let total = body.len();
        assert!(
            text.ends_with(&format!("… [truncated: {total} bytes in all]")),
            "{}",
            &text[text.len() - 60..]
        );
        assert!(text.len() < MAX_LOGGED_BODY_BYTES + 64);
        assert!(
            text.starts_with(&"a".repeat(MAX_LOGGED_BODY_BYTES - 1)),
            "the cut character is left out whole"
        );
        assert!(!text.contains('é'));
    }

    #[test]
    fn bodies_serialize_as_json_text_or_null() {
        let logged = |bytes: &[u8]| serde_json::to_value(with_body(bytes)).unwrap()["body"].clone();
        assert_eq!(
            logged(br#"{"name": "x", "size": 3}"#),
            json!({"name": "x", "size": 3})
        );
        assert_eq!(logged(b"not json"), json!("not json"));
        assert_eq!(logged(b""), Value::Null);
    }
}
