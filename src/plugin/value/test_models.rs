//! The model structs the bridge's tests convert: small stand-ins for a resource's model, with a
//! nested block, shared by the tests of every part of the bridge.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{serde_as_vec, Value};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Timeouts {
    pub(super) create: Value<String>,
    pub(super) delete: Value<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Model {
    pub(super) name: Value<String>,
    pub(super) size: Value<i64>,
    pub(super) enabled: Value<bool>,
    pub(super) tags: Value<Vec<String>>,
    pub(super) labels: Value<BTreeMap<String, String>>,
    #[serde(with = "serde_as_vec")]
    pub(super) timeouts: Value<Timeouts>,
}

pub(super) fn known_model() -> Model {
    Model {
        name: Value::Value("db".into()),
        size: Value::Value(3),
        enabled: Value::Value(true),
        tags: Value::Value(vec!["a".into(), "b".into()]),
        labels: Value::Value(BTreeMap::from([("env".into(), "prod".into())])),
        timeouts: Value::Value(Timeouts {
            create: Value::Value("5m".into()),
            delete: Value::Null,
        }),
    }
}
