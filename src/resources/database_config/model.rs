//! The state of an engine configuration resource, for any engine: `id`, `cluster_id`,
//! `timeouts`, and one value per setting of the engine's table, keyed by the table's names.
//!
//! The settings differ per engine and are many, so the model is not a struct with a field
//! each: it is a map from the table's (`'static`) names to [`Node`]s, with serde impls that
//! read and write the same object a struct would (the framework's bridge carries unknown
//! values through `Value`, at every depth).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number as JsonNumber, Value as Json};

use crate::framework::timeouts::Timeouts;
use crate::plugin::value::{self, Value};

use super::table::{interned, Kind, Setting};

/// A setting's value: a bool, a number, a string, a set of strings, or a block of settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Bool(bool),
    /// Whole numbers are `i64` (or `u64` beyond it) whichever way they arrived, so that `10`
    /// and `10.0` are the same value.
    Number(JsonNumber),
    Text(String),
    List(Vec<Value<Node>>),
    Block(BTreeMap<&'static str, Value<Node>>),
}

/// A number, with whole floats made integers.
pub fn number(n: &JsonNumber) -> JsonNumber {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => JsonNumber::from(f as i64),
        _ => n.clone(),
    }
}

impl Node {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Node::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The value as the API spells it.
    pub fn to_json(&self, kind: &Kind) -> Json {
        match (self, kind) {
            (Node::Bool(b), _) => Json::Bool(*b),
            (Node::Number(n), _) => Json::Number(n.clone()),
            (Node::Text(t), _) => Json::String(t.clone()),
            (Node::List(items), _) => Json::Array(
                items
                    .iter()
                    .filter_map(|item| item.as_ref_option().map(|i| i.to_json(kind)))
                    .collect(),
            ),
            (Node::Block(fields), Kind::Block(inner)) => Json::Object(
                inner
                    .iter()
                    .filter_map(|setting| {
                        let value = fields.get(setting.name)?.as_ref_option()?;
                        Some((setting.api.to_string(), value.to_json(&setting.kind)))
                    })
                    .collect(),
            ),
            (Node::Block(_), _) => Json::Null,
        }
    }

    /// The API's value of a setting of `kind`, or `None` when it does not fit the type (the
    /// state then says null rather than something the schema cannot hold).
    pub fn from_json(json: &Json, kind: &Kind) -> Option<Node> {
        match (kind, json) {
            (Kind::Bool, Json::Bool(b)) => Some(Node::Bool(*b)),
            (Kind::Integer { .. } | Kind::Number { .. }, Json::Number(n)) => {
                Some(Node::Number(number(n)))
            }
            (Kind::String(_), Json::String(text)) => Some(Node::Text(text.clone())),
            (Kind::StringSet { .. }, Json::Array(items)) => Some(Node::List(
                items
                    .iter()
                    .filter_map(|item| item.as_str())
                    .map(|item| Value::Value(Node::Text(item.to_string())))
                    .collect(),
            )),
            (Kind::Block(inner), Json::Object(fields)) => Some(block_from_json(fields, inner)),
            _ => None,
        }
    }
}

/// A block's settings from the API's object: every setting of the table, null where the API
/// says nothing.
pub fn block_from_json(fields: &Map<String, Json>, settings: &'static [Setting]) -> Node {
    Node::Block(
        settings
            .iter()
            .map(|setting| {
                let value = fields
                    .get(setting.api)
                    .and_then(|json| Node::from_json(json, &setting.kind));
                (setting.name, value.map_or(Value::Null, Value::Value))
            })
            .collect(),
    )
}

/// An empty block: every setting null.
pub fn empty_block(settings: &'static [Setting]) -> Node {
    block_from_json(&Map::new(), settings)
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => {
                if let Some(i) = n.as_i64() {
                    serializer.serialize_i64(i)
                } else if let Some(u) = n.as_u64() {
                    serializer.serialize_u64(u)
                } else {
                    serializer.serialize_f64(n.as_f64().unwrap_or_default())
                }
            }
            Node::Text(t) => serializer.serialize_str(t),
            Node::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Block(fields) => {
                let mut object = serializer.serialize_struct("block", fields.len())?;
                for (name, value) in fields {
                    object.serialize_field(name, value)?;
                }
                object.end()
            }
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a setting's value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        JsonNumber::from_f64(v)
            .map(|n| Node::Number(number(&n)))
            .ok_or_else(|| E::custom("a setting cannot be NaN or infinite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value<Node>>()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut fields = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let name = interned(&key)
                .ok_or_else(|| de::Error::custom(format!("unknown setting {key:?}")))?;
            fields.insert(name, map.next_value::<Value<Node>>()?);
        }
        Ok(Node::Block(fields))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// The state of any engine configuration resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub timeouts: Value<Timeouts>,
    /// Every setting of the engine's table (see [`super::complete`]), by attribute name.
    pub settings: BTreeMap<&'static str, Value<Node>>,
    /// The name of DigitalOcean's map of settings as strings, for the engines that have one
    /// (`pg_parameters`), and its value.
    pub parameters_name: Option<&'static str>,
    pub parameters: Value<Parameters>,
}

/// DigitalOcean's `pg_parameters`/`mysql_parameters`: API setting names to values as text.
pub type Parameters = BTreeMap<String, Value<String>>;

/// The attribute names DigitalOcean's maps of settings have.
pub const PARAMETER_MAPS: [&str; 2] = ["pg_parameters", "mysql_parameters"];

/// `timeouts` is a block of at most one element on the wire.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct TimeoutsBlock(#[serde(with = "value::serde_as_vec")] Value<Timeouts>);

impl Serialize for ConfigModel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("ConfigModel", 3 + self.settings.len())?;
        object.serialize_field("id", &self.id)?;
        object.serialize_field("cluster_id", &self.cluster_id)?;
        object.serialize_field("timeouts", &TimeoutsBlock(self.timeouts.clone()))?;
        for (name, value) in &self.settings {
            object.serialize_field(name, value)?;
        }
        if let Some(name) = self.parameters_name {
            object.serialize_field(name, &self.parameters)?;
        }
        object.end()
    }
}

struct ModelVisitor;

impl<'de> Visitor<'de> for ModelVisitor {
    type Value = ConfigModel;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an engine configuration")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ConfigModel, A::Error> {
        let mut model = ConfigModel::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => model.id = map.next_value()?,
                "cluster_id" => model.cluster_id = map.next_value()?,
                "timeouts" => model.timeouts = map.next_value::<TimeoutsBlock>()?.0,
                other if PARAMETER_MAPS.contains(&other) => {
                    model.parameters_name = PARAMETER_MAPS.iter().copied().find(|n| *n == other);
                    model.parameters = map.next_value()?;
                }
                other => {
                    let name = interned(other)
                        .ok_or_else(|| de::Error::custom(format!("unknown setting {other:?}")))?;
                    model.settings.insert(name, map.next_value()?);
                }
            }
        }
        Ok(model)
    }
}

impl<'de> Deserialize<'de> for ConfigModel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ConfigModel, D::Error> {
        deserializer.deserialize_map(ModelVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::dynamic::Dynamic;
    use crate::plugin::value::{from_dynamic, to_dynamic};

    #[test]
    fn models_travel_through_dynamic_values_with_unknowns_at_any_depth() {
        let mut model = ConfigModel {
            cluster_id: Value::Value("c1".into()),
            id: Value::Unknown,
            ..ConfigModel::default()
        };
        model
            .settings
            .insert("work_mem", Value::Value(Node::Number(64.into())));
        model
            .settings
            .insert("jit", Value::Value(Node::Bool(false)));
        model.settings.insert("timezone", Value::Unknown);
        let mut pgbouncer = BTreeMap::new();
        pgbouncer.insert("min_pool_size", Value::Unknown);
        pgbouncer.insert(
            "ignore_startup_parameters",
            Value::Value(Node::List(vec![Value::Value(Node::Text(
                "search_path".into(),
            ))])),
        );
        model
            .settings
            .insert("pgbouncer", Value::Value(Node::Block(pgbouncer)));
        let dynamic = to_dynamic(&model).unwrap();
        assert!(
            matches!(dynamic.attribute("timeouts"), Some(Dynamic::List(items)) if items.is_empty())
        );
        assert!(matches!(
            dynamic.attribute("pgbouncer"),
            Some(Dynamic::Object(_))
        ));
        let back: ConfigModel = from_dynamic(dynamic).unwrap();
        assert_eq!(back, model);
    }

    #[test]
    fn whole_floats_are_integers() {
        let n = JsonNumber::from_f64(10.0).unwrap();
        assert_eq!(number(&n), JsonNumber::from(10));
        let half = JsonNumber::from_f64(0.5).unwrap();
        assert_eq!(number(&half), half);
    }
}
