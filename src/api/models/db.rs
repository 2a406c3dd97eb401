//! Logical databases inside a cluster (`…/dbs`).

use serde::{Deserialize, Serialize};

/// A database (`{"name": …}`); also the body of `POST …/dbs`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Db {
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_contract_example() {
        let db: Db = serde_json::from_str(r#"{"name":"alpha"}"#).unwrap();
        assert_eq!(db.name, "alpha");
        assert_eq!(serde_json::to_string(&db).unwrap(), r#"{"name":"alpha"}"#);
    }
}
