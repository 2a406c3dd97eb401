//! The Uncloud platform's Databases API (`/api/v1/databases`, seed 002), served next to `/v2`.
//!
//! What the seed and the platform's reference say (`shared/reference/uncloud-api.md`) is
//! followed; what they leave open is decided here and written down:
//! - IDs are `db_` and 16 lowercase hex digits; `project_id` defaults to `proj_default`.
//! - Names are 1 to 63 letters, digits, `-` and `_`, unique among a project's databases that
//!   are not destroyed (a second create answers 409); `slug` is the name in lower case with
//!   `_` as `-`.
//! - `version` defaults to the engine's newest (PostgreSQL 16, MySQL 8.4, Redis 7.2,
//!   MongoDB 7.0); `plan_id` is a `db-s-<n>vcpu-<n>gb` slug; `region` is three letters and a
//!   digit (`nyc1`); `storage_gb` 1 to 16384 (default 10); `replicas` 1 to 5 (default 1).
//! - Invalid values answer 422, a body that is not a JSON object 400, both as
//!   `{"error": "<message>"}` naming the field.
//! - `provisioning` → `running` after the emulator's provision delay. A create with the
//!   `provisioning_fails` fault ends in `error` instead, with `error_message` saying why (a
//!   field the seed does not show); with `never_online` it stays `provisioning`.
//! - `DELETE` answers 204; the database then reads `destroyed` for the transition delay and
//!   is gone (404) after it.
//! - Credentials answer 409 until the database is `running`. PostgreSQL: port 5432,
//!   `postgresql://…?sslmode=require`; MySQL: port 3306, `mysql://…?ssl-mode=REQUIRED`;
//!   MongoDB: port 27017, `mongodb://…?tls=true`; Redis: port 6379, `redis://:<password>@…`,
//!   no username or database. `ssl_mode` is `require` except on Redis, which has none.
//! - The platform does not rate-limit, so no budget headers and no 429s here; authentication,
//!   faults, the request log and the state file work as on `/v2`.

mod handlers;
mod store;

pub use handlers::routes;
pub use store::{write_atomically, UncloudStore};
