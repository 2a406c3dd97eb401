//! Parsing of `terraform import` IDs, with errors that show the expected form.

use super::validate::is_uuid;

/// An import ID that must be a single UUID (`what` names the object, e.g. "database cluster").
pub fn parse_uuid(id: &str, what: &str) -> Result<String, String> {
    let id = id.trim();
    if is_uuid(id) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(format!(
            "The import ID must be the {what}'s UUID, such as \
             \"9cc10173-e9ea-4176-9dbc-a4cee4c4ff30\"; got {id:?}."
        ))
    }
}

/// An import ID made of a cluster UUID and a name joined by a comma: `<cluster_id>,<name>`.
pub fn parse_cluster_child(id: &str, what: &str) -> Result<(String, String), String> {
    let expected = format!(
        "The import ID must be the cluster's UUID and the {what}'s name joined by a comma, \
         such as \"9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,my-{}\"",
        what.replace(' ', "-")
    );
    let Some((cluster, name)) = id.split_once(',') else {
        return Err(format!("{expected}; got {id:?}."));
    };
    let cluster = parse_uuid(cluster, "cluster").map_err(|_| format!("{expected}; got {id:?}."))?;
    let name = name.trim();
    if name.is_empty() || name.contains(',') {
        return Err(format!("{expected}; got {id:?}."));
    }
    Ok((cluster, name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_accepted_and_normalised() {
        assert_eq!(
            parse_uuid(" 9CC10173-E9EA-4176-9DBC-A4CEE4C4FF30 ", "database cluster").unwrap(),
            "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
        );
        let err = parse_uuid("backend", "database cluster").unwrap_err();
        assert!(err.contains("database cluster's UUID"));
        assert!(err.contains("\"backend\""));
    }

    #[test]
    fn composite_ids_need_both_parts() {
        let (cluster, name) = parse_cluster_child(
            "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,pool-1",
            "connection pool",
        )
        .unwrap();
        assert_eq!(cluster, "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30");
        assert_eq!(name, "pool-1");
        for bad in [
            "pool-1",
            "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,",
            "x,pool",
            "a,b,c",
        ] {
            assert!(
                parse_cluster_child(bad, "connection pool").is_err(),
                "{bad}"
            );
        }
    }
}
