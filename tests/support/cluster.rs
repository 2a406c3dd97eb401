//! `dbaas_database_cluster` helpers: catalogue values that exist in the emulator, an HCL
//! builder, state checks, and the lifecycle scenario that both the acceptance suite and the
//! Terraform 1.0 compatibility run execute.

use serde_json::Value;

use super::mock::{type_name, Mock};
use super::terraform::{state_resource_count, state_values, Terraform};
use super::text::hcl_string;

/// The address every cluster test uses.
pub const ADDRESS: &str = "dbaas_database_cluster.x";

// Values from the emulator's catalogue (GET /v2/databases/options).
pub const REGION: &str = "nyc1";
pub const OTHER_REGION: &str = "nyc3";
/// The smallest size; only offered for single-node clusters.
pub const SMALL: &str = "db-s-1vcpu-1gb";
/// The next size up; offered for one to three nodes of pg, mysql and redis.
pub const MEDIUM: &str = "db-s-1vcpu-2gb";
pub const PG_OLDER: &str = "15";
pub const PG_NEWER: &str = "16";
pub const MYSQL_VERSION: &str = "8";
pub const REDIS_VERSION: &str = "7";

/// A `resource "dbaas_database_cluster" "x"` block, built attribute by attribute so that a
/// test can change exactly one thing between steps.
#[derive(Debug, Clone)]
pub struct ClusterHcl {
    attributes: Vec<(String, String)>,
    blocks: Vec<String>,
}

impl ClusterHcl {
    /// A one-node cluster of the smallest size in [`REGION`].
    pub fn new(name: &str, engine: &str) -> ClusterHcl {
        ClusterHcl {
            attributes: Vec::new(),
            blocks: Vec::new(),
        }
        .set_str("name", name)
        .set_str("engine", engine)
        .set_str("size", SMALL)
        .set_str("region", REGION)
        .set("node_count", "1")
    }

    /// Sets an attribute to an HCL expression (`"2"`, `["a", "b"]`, `{ day = "monday" }`),
    /// replacing any earlier value.
    pub fn set(mut self, name: &str, expression: &str) -> ClusterHcl {
        match self.attributes.iter_mut().find(|(key, _)| key == name) {
            Some(entry) => entry.1 = expression.to_string(),
            None => self
                .attributes
                .push((name.to_string(), expression.to_string())),
        }
        self
    }

    /// Sets an attribute to a string literal.
    pub fn set_str(self, name: &str, text: &str) -> ClusterHcl {
        let literal = hcl_string(text);
        self.set(name, &literal)
    }

    /// Removes an attribute, so that it is null in the configuration.
    pub fn unset(mut self, name: &str) -> ClusterHcl {
        self.attributes.retain(|(key, _)| key != name);
        self
    }

    /// Adds a nested block verbatim, e.g. `timeouts { create = "3s" }`.
    pub fn block(mut self, block: &str) -> ClusterHcl {
        self.blocks.push(block.to_string());
        self
    }

    pub fn render(&self) -> String {
        let width = self
            .attributes
            .iter()
            .map(|(key, _)| key.len())
            .max()
            .unwrap_or(0);
        let mut hcl = String::from("resource \"dbaas_database_cluster\" \"x\" {\n");
        for (key, expression) in &self.attributes {
            hcl.push_str(&format!("  {key:width$} = {expression}\n"));
        }
        for block in &self.blocks {
            hcl.push('\n');
            for line in block.trim().lines() {
                hcl.push_str(&format!("  {}\n", line.trim()));
            }
        }
        hcl.push_str("}\n");
        hcl
    }
}

/// A string attribute from a resource's values; the message never shows the value, which may
/// be a secret.
pub fn str_attr<'a>(values: &'a Value, name: &str) -> &'a str {
    match values.get(name) {
        Some(Value::String(text)) => text,
        Some(other) => panic!("attribute {name} is a {}, not a string", type_name(other)),
        None => panic!("attribute {name} is missing"),
    }
}

/// A number attribute from a resource's values.
pub fn int_attr(values: &Value, name: &str) -> i64 {
    values.get(name).and_then(Value::as_i64).unwrap_or_else(|| {
        panic!(
            "attribute {name} is not a whole number: {:?}",
            values.get(name)
        )
    })
}

/// The cluster in `terraform show -json`, checked for the attributes every online cluster has.
pub fn assert_connection_details(values: &Value) {
    let id = str_attr(values, "id");
    assert!(!id.is_empty(), "id is empty");
    assert_eq!(str_attr(values, "urn"), format!("do:dbaas:{id}"));
    let host = str_attr(values, "host");
    assert!(!host.is_empty(), "host is empty");
    assert!(int_attr(values, "port") > 0, "port is not positive");
    let password = str_attr(values, "password");
    assert!(!password.is_empty(), "password is empty");
    let uri = str_attr(values, "uri");
    assert!(uri.contains(host), "uri does not contain the host");
    assert!(
        uri.contains(&format!(":{password}@")),
        "uri does not carry the password"
    );
}

/// The emulator's record of a cluster; panics when it has none.
pub fn stored_cluster(mock: &Mock, id: &str) -> Value {
    mock.cluster(id)
        .unwrap_or_else(|| panic!("the emulator has no cluster {id}"))
}

/// A string field of a stored cluster (`size`, `region`, `name`…).
pub fn stored_str(cluster: &Value, field: &str) -> String {
    match cluster.get(field) {
        Some(Value::String(text)) => text.clone(),
        other => panic!(
            "the stored cluster's {field} is not a string but {}",
            other.map_or("missing", type_name)
        ),
    }
}

/// The lifecycle of a PostgreSQL cluster, from creation to destruction, with import:
/// create → empty plan → resize in place → add a node in place → rename (replace) →
/// `state rm` + `import` → empty plan → destroy, checking the emulator at each step.
pub fn lifecycle(mock: &Mock, tf: &Terraform) {
    let config = ClusterHcl::new("acc-lifecycle", "pg")
        .set_str("version", PG_NEWER)
        .set("tags", r#"["acceptance"]"#);

    tf.write_config(&config.render());
    let plan = tf.plan();
    assert_eq!(plan.actions(ADDRESS), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let values = state_values(&state, ADDRESS);
    assert_connection_details(values);
    let id = str_attr(values, "id").to_string();
    let stored = stored_cluster(mock, &id);
    assert_eq!(stored_str(&stored, "name"), "acc-lifecycle");
    assert_eq!(stored_str(&stored, "engine"), "pg");
    assert_eq!(stored_str(&stored, "size"), SMALL);
    assert_eq!(stored_str(&stored, "status"), "online");

    let config = config.set_str("size", MEDIUM);
    tf.write_config(&config.render());
    tf.plan().assert_update(ADDRESS);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored_str(&stored_cluster(mock, &id), "size"), MEDIUM);

    let config = config.set("node_count", "2");
    tf.write_config(&config.render());
    tf.plan().assert_update(ADDRESS);
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored_cluster(mock, &id);
    assert_eq!(stored.get("num_nodes").and_then(Value::as_i64), Some(2));
    let state = tf.show_state();
    assert_eq!(str_attr(state_values(&state, ADDRESS), "id"), id);
    assert_eq!(int_attr(state_values(&state, ADDRESS), "node_count"), 2);

    let config = config.set_str("name", "acc-lifecycle-renamed");
    tf.write_config(&config.render());
    tf.plan().assert_replace(ADDRESS);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let values = state_values(&state, ADDRESS);
    assert_connection_details(values);
    let new_id = str_attr(values, "id").to_string();
    assert_ne!(new_id, id, "a rename must create a new cluster");
    assert!(
        mock.cluster(&id).is_none(),
        "the old cluster was not deleted"
    );
    assert_eq!(mock.cluster_count(), 1);
    assert_eq!(
        stored_str(&stored_cluster(mock, &new_id), "name"),
        "acc-lifecycle-renamed"
    );

    tf.state_rm(ADDRESS);
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    tf.import(ADDRESS, &new_id);
    tf.assert_plan_empty();
    let imported = tf.show_state();
    let imported_values = state_values(&imported, ADDRESS);
    assert_connection_details(imported_values);
    for attribute in [
        "id", "name", "engine", "version", "size", "region", "host", "urn",
    ] {
        assert_eq!(
            imported_values.get(attribute),
            values.get(attribute),
            "{attribute} differs after import"
        );
    }
    assert_eq!(int_attr(imported_values, "node_count"), 2);
    assert_eq!(imported_values["tags"], values["tags"]);

    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert_eq!(mock.cluster_count(), 0, "destroy left clusters behind");
}
