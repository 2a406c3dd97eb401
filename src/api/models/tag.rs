//! Tag assignments (`/v2/tags/{name}/resources`). Database clusters are tagged through the
//! generic tags API, with `resource_type` `database`.

use serde::{Deserialize, Serialize};

/// One resource to tag or untag.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TagResource {
    pub resource_id: String,
    pub resource_type: String,
}

impl TagResource {
    /// A database cluster, by UUID.
    pub fn database(cluster_id: impl Into<String>) -> Self {
        TagResource {
            resource_id: cluster_id.into(),
            resource_type: "database".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_as_the_tags_api_expects() {
        assert_eq!(
            serde_json::to_value(TagResource::database("9cc10173")).unwrap(),
            json!({"resource_id": "9cc10173", "resource_type": "database"})
        );
    }
}
