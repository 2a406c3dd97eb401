//! Ready-made [`Condition`]s: `online()` and `online_and(..)` for clusters, `active_and(..)`
//! for topics, `gone()` for any object.
//!
//! A condition sees the object as last read, or `None` while it cannot be read (a 404, or a
//! cluster missing from the shared list). When it does not hold yet, it says what it saw, which
//! a timeout reports as the last observed state.

use super::{Condition, Poll};
use crate::api::models::{Cluster, Pool, Topic};

/// The cluster reports `online`. A cluster not found counts as "not found yet": one created
/// moments ago may not be readable at once.
pub fn online() -> impl Condition<Cluster, Output = Cluster> {
    online_and(|_| true)
}

/// The cluster reports `online` and `requested` holds for it, e.g. it shows a requested size,
/// so that an `online` read taken before a resize has started is not mistaken for its end.
pub fn online_and(
    requested: impl Fn(&Cluster) -> bool,
) -> impl Condition<Cluster, Output = Cluster> {
    move |cluster: Option<Cluster>| match cluster {
        Some(cluster) if cluster.is_online() && requested(&cluster) => Poll::Ready(cluster),
        Some(cluster) => Poll::Pending(match cluster.status.as_deref() {
            Some("online") => "online, but without the requested change yet".to_string(),
            Some(status) => status.to_string(),
            None => "no status reported".to_string(),
        }),
        None => not_found_yet(),
    }
}

/// The topic is `active` and `requested` holds for it: it shows the partitions (and replicas)
/// a create or update asked for, so that a read taken before the API started applying the
/// change is not mistaken for its end. A topic not found counts as "not found yet": one
/// accepted with a 202 may take a moment to be readable.
pub fn active_and(requested: impl Fn(&Topic) -> bool) -> impl Condition<Topic, Output = Topic> {
    move |topic: Option<Topic>| match topic {
        Some(topic) if topic.state.as_deref() == Some("active") => {
            if requested(&topic) {
                Poll::Ready(topic)
            } else {
                Poll::Pending("active, but without the requested partitions yet".to_string())
            }
        }
        Some(topic) => Poll::Pending(
            topic
                .state
                .unwrap_or_else(|| "no state reported".to_string()),
        ),
        None => not_found_yet(),
    }
}

fn not_found_yet<T>() -> Poll<T> {
    Poll::Pending("not found yet".to_string())
}

/// The object can no longer be read.
pub fn gone() -> Gone {
    Gone
}

/// See [`gone`].
#[derive(Debug, Clone, Copy)]
pub struct Gone;

impl<T: Removable> Condition<T> for Gone {
    type Output = ();

    fn check(&self, object: Option<T>) -> Poll<()> {
        match object {
            None => Poll::Ready(()),
            Some(object) => Poll::Pending(object.still_present()),
        }
    }
}

/// What a wait for an object's removal reports while the object is still there.
pub trait Removable {
    fn still_present(&self) -> String;
}

impl Removable for Cluster {
    fn still_present(&self) -> String {
        format!(
            "still present (status {})",
            self.status.as_deref().unwrap_or("unknown")
        )
    }
}

impl Removable for Topic {
    fn still_present(&self) -> String {
        format!(
            "still present (state {})",
            self.state.as_deref().unwrap_or("unknown")
        )
    }
}

/// Pools have no lifecycle state to report.
impl Removable for Pool {
    fn still_present(&self) -> String {
        "still present".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(status: Option<&str>, num_nodes: i64) -> Cluster {
        Cluster {
            status: status.map(str::to_string),
            num_nodes,
            ..Cluster::default()
        }
    }

    fn topic(state: Option<&str>, replication_factor: i64) -> Topic {
        Topic {
            state: state.map(str::to_string),
            replication_factor: Some(replication_factor),
            ..Topic::default()
        }
    }

    fn pending<T: std::fmt::Debug>(poll: Poll<T>) -> String {
        match poll {
            Poll::Pending(state) => state,
            ready => panic!("expected the condition not to hold, got {ready:?}"),
        }
    }

    #[test]
    fn online_waits_for_the_status_and_the_requested_change() {
        let resized = online_and(|c: &Cluster| c.num_nodes == 3);
        assert!(matches!(
            resized.check(Some(cluster(Some("online"), 3))),
            Poll::Ready(c) if c.num_nodes == 3
        ));
        assert_eq!(
            pending(resized.check(Some(cluster(Some("online"), 1)))),
            "online, but without the requested change yet"
        );
        assert_eq!(
            pending(resized.check(Some(cluster(Some("resizing"), 3)))),
            "resizing"
        );
        assert_eq!(
            pending(online().check(Some(cluster(None, 1)))),
            "no status reported"
        );
        assert_eq!(pending(online().check(None)), "not found yet");
    }

    #[test]
    fn active_waits_for_the_state_and_the_requested_layout() {
        let replicated = active_and(|t: &Topic| t.replication_factor == Some(3));
        assert!(matches!(
            replicated.check(Some(topic(Some("active"), 3))),
            Poll::Ready(_)
        ));
        assert_eq!(
            pending(replicated.check(Some(topic(Some("active"), 2)))),
            "active, but without the requested partitions yet"
        );
        assert_eq!(
            pending(replicated.check(Some(topic(Some("configuring"), 3)))),
            "configuring"
        );
        assert_eq!(
            pending(replicated.check(Some(topic(None, 3)))),
            "no state reported"
        );
        assert_eq!(pending(replicated.check(None)), "not found yet");
    }

    #[test]
    fn gone_holds_once_the_object_cannot_be_read() {
        assert_eq!(Condition::<Pool>::check(&gone(), None), Poll::Ready(()));
        assert_eq!(
            pending(gone().check(Some(cluster(Some("deleting"), 1)))),
            "still present (status deleting)"
        );
        assert_eq!(
            pending(gone().check(Some(topic(None, 1)))),
            "still present (state unknown)"
        );
        assert_eq!(
            pending(gone().check(Some(Pool::default()))),
            "still present"
        );
    }
}
