//! What the emulator's request log says about a phase: how many API calls, and of which kind.
//! The split (one shared list per polling round versus a read per cluster) is the figure that
//! shows the shared cluster-list watch of `dbaas::api::wait` at work. The log's timestamps
//! show where an apply's time goes ([`Timeline`]): Terraform starts at most its parallelism's
//! worth of creates at once, so the creates go out in waves, one per provisioning delay plus
//! whatever the provider adds to notice that a wave is online.

use std::collections::BTreeMap;
use std::time::Duration;

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

/// When a phase's requests went out, relative to the start of the Terraform command.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub first_request: Option<Duration>,
    pub last_request: Option<Duration>,
    /// The creates, grouped into waves: a create less than half the provisioning delay after
    /// the previous one belongs to its wave.
    pub waves: Vec<Wave>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wave {
    /// When its first create went out.
    pub start: Duration,
    /// When its last create went out: the slowest of the creates it follows was seen online.
    pub end: Duration,
    pub creates: usize,
}

impl Timeline {
    pub fn of(requests: &[LoggedRequest], started_at_ms: u64, delay_ms: u64) -> Timeline {
        let offset = |at_ms: u64| Duration::from_millis(at_ms.saturating_sub(started_at_ms));
        let mut creates: Vec<u64> = requests
            .iter()
            .filter(|r| RequestKind::of(&r.method, &r.path) == RequestKind::Create)
            .map(|r| r.at_ms)
            .collect();
        creates.sort_unstable();
        let mut waves: Vec<Wave> = Vec::new();
        let mut previous: Option<u64> = None;
        for at in creates {
            match (previous, waves.last_mut()) {
                (Some(before), Some(wave)) if at - before < delay_ms / 2 => {
                    wave.creates += 1;
                    wave.end = offset(at);
                }
                _ => waves.push(Wave {
                    start: offset(at),
                    end: offset(at),
                    creates: 1,
                }),
            }
            previous = Some(at);
        }
        Timeline {
            first_request: requests.iter().map(|r| r.at_ms).min().map(offset),
            last_request: requests.iter().map(|r| r.at_ms).max().map(offset),
            waves,
        }
    }

    /// The mean time from one wave's last create to the next one's: how long each wave
    /// held up the one after it.
    pub fn wave_period(&self) -> Option<Duration> {
        let (first, last) = (self.waves.first()?, self.waves.last()?);
        let gaps = u32::try_from(self.waves.len() - 1)
            .ok()
            .filter(|&n| n > 0)?;
        Some((last.end - first.end) / gaps)
    }

    /// The longest time between a wave's first and last create.
    pub fn widest_wave(&self) -> Option<Duration> {
        self.waves.iter().map(|w| w.end - w.start).max()
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
            at_ms: 0,
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

    #[test]
    fn creates_are_grouped_into_waves() {
        let request = |method: &str, path: &str, at_ms| LoggedRequest {
            method: method.into(),
            path: path.into(),
            status: Some(200),
            at_ms,
        };
        let timeline = Timeline::of(
            &[
                request("GET", "/v2/databases/options", 1_200),
                request("POST", "/v2/databases", 1_250),
                request("POST", "/v2/databases", 1_240),
                request("GET", "/v2/databases", 1_800),
                request("POST", "/v2/databases", 3_500),
                request("POST", "/v2/databases", 3_600),
                request("POST", "/v2/databases", 5_800),
                request("GET", "/v2/databases", 7_900),
            ],
            1_000,
            2_000,
        );
        let ms = Duration::from_millis;
        assert_eq!(timeline.first_request, Some(ms(200)));
        assert_eq!(timeline.last_request, Some(ms(6_900)));
        assert_eq!(
            timeline.waves,
            [
                Wave {
                    start: ms(240),
                    end: ms(250),
                    creates: 2
                },
                Wave {
                    start: ms(2_500),
                    end: ms(2_600),
                    creates: 2
                },
                Wave {
                    start: ms(4_800),
                    end: ms(4_800),
                    creates: 1
                },
            ]
        );
        assert_eq!(timeline.wave_period(), Some(ms(2_275)));
        assert_eq!(timeline.widest_wave(), Some(ms(100)));
        assert_eq!(Timeline::of(&[], 0, 2_000).wave_period(), None);
    }
}
