//! The log of `/v2` requests that `GET /_mock/requests` returns, so tests can check what a
//! client sent (and that it did not send what it must not).

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;

/// Oldest entries are forgotten beyond this, so long benchmark runs stay bounded.
const CAPACITY: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The status answered (or, for `drop_after_handling`, the one that was lost); `None` when
    /// the connection was dropped before handling.
    pub status: Option<u16>,
    /// The request body as JSON; `null` when empty, a string when it was not JSON.
    pub body: Value,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub request_id: String,
    /// The id of the fault that affected the request, if any.
    pub fault: Option<String>,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    next_seq: u64,
    entries: VecDeque<LoggedRequest>,
}

impl RequestLog {
    /// Appends an entry, assigning its sequence number (from 1).
    pub fn push(&mut self, mut entry: LoggedRequest) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub fn entries(&self) -> impl Iterator<Item = &LoggedRequest> {
        self.entries.iter()
    }

    /// Forgets the entries; sequence numbers keep counting so a test can tell runs apart.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Forgets everything, including the sequence.
    pub fn reset(&mut self) {
        *self = RequestLog::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> LoggedRequest {
        LoggedRequest {
            seq: 0,
            method: "GET".into(),
            path: "/v2/databases".into(),
            query: None,
            status: Some(200),
            body: Value::Null,
            at_ms: 0,
            request_id: "r".into(),
            fault: None,
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
}
