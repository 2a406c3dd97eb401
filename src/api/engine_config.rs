//! Engine configuration requests (`/v2/databases/{id}/config`): work in progress.
