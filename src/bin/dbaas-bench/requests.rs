//! What the emulator's request log says about a phase: how many API calls, and of which kind.
//! The split (one shared list per polling round versus a read per cluster) is the figure that
//! shows the shared cluster-list watch of `dbaas::api::wait` at work.

use std::collections::BTreeMap;

use crate::emulator::LoggedRequest;

/// What a request did, for the breakdown table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequestKind {
    Create,
    List,
    GetById,
    /// A read below one cluster, e.g. `GET /v2/databases/{id}/autoscale`.
    GetChild,
    Delete,
    Other,
}

impl RequestKind {
    pub fn of(method: &str, path: &str) -> RequestKind {
        let Some(rest) = path.strip_prefix("/v2/databases") else {
            return RequestKind::Other;
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match (method, segments.as_slice()) {
            ("POST", []) => RequestKind::Create,
            ("GET", []) => RequestKind::List,
            // `/v2/databases/options` is the catalogue, not a cluster.
            ("GET", [id]) if *id != "options" => RequestKind::GetById,
            ("GET", [id, _, ..]) if *id != "options" => RequestKind::GetChild,
            ("DELETE", [_]) => RequestKind::Delete,
            _ => RequestKind::Other,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RequestCounts {
    pub total: usize,
    by_kind: BTreeMap<RequestKind, usize>,
    /// Answers outside 2xx (404 while waiting for a delete, 429 rate limits, errors) and
    /// connections dropped before an answer.
    pub not_2xx: usize,
}

impl RequestCounts {
    pub fn of(requests: &[LoggedRequest]) -> RequestCounts {
        let mut counts = RequestCounts {
            total: requests.len(),
            ..RequestCounts::default()
        };
        for request in requests {
            *counts
                .by_kind
                .entry(RequestKind::of(&request.method, &request.path))
                .or_default() += 1;
            if !request.status.is_some_and(|s| (200..300).contains(&s)) {
                counts.not_2xx += 1;
            }
        }
        counts
    }

    pub fn kind(&self, kind: RequestKind) -> usize {
        self.by_kind.get(&kind).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_classified_by_what_they_do_to_clusters() {
        let id = "/v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
        assert_eq!(
            RequestKind::of("POST", "/v2/databases"),
            RequestKind::Create
        );
        assert_eq!(RequestKind::of("GET", "/v2/databases"), RequestKind::List);
        assert_eq!(RequestKind::of("GET", id), RequestKind::GetById);
        assert_eq!(RequestKind::of("DELETE", id), RequestKind::Delete);
        assert_eq!(
            RequestKind::of("GET", "/v2/databases/options"),
            RequestKind::Other
        );
        assert_eq!(
            RequestKind::of("GET", &format!("{id}/autoscale")),
            RequestKind::GetChild
        );
        assert_eq!(
            RequestKind::of("PUT", &format!("{id}/resize")),
            RequestKind::Other
        );
        assert_eq!(RequestKind::of("GET", "/v2/tags"), RequestKind::Other);
    }

    #[test]
    fn counts_total_kinds_and_non_2xx_answers() {
        let request = |method: &str, path: &str, status| LoggedRequest {
            method: method.into(),
            path: path.into(),
            status,
        };
        let counts = RequestCounts::of(&[
            request("POST", "/v2/databases", Some(201)),
            request("GET", "/v2/databases", Some(200)),
            request("GET", "/v2/databases/a", Some(404)),
            request("DELETE", "/v2/databases/a", None),
        ]);
        assert_eq!(counts.total, 4);
        assert_eq!(counts.kind(RequestKind::List), 1);
        assert_eq!(counts.kind(RequestKind::Other), 0);
        assert_eq!(counts.not_2xx, 2);
    }
}
