//! Encodes a single optional nested block, `Value<T>`, as Terraform's list of zero or one
//! blocks: null is the empty list, a value the one-element list, and unknown an unknown list.
//! Use it with `#[serde(with = "value::serde_as_vec")]`.
//!
//! Terraform has no "optional single block": a block that may appear once is a list of at most
//! one element on the wire. Resource models want a plain `Value<T>` for it instead, so this
//! adapter does the translation in both directions.

use serde::ser::SerializeSeq;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use super::Value;

pub fn serialize<T, S>(value: &Value<T>, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize,
    S: Serializer,
{
    match value {
        Value::Value(block) => {
            let mut list = serializer.serialize_seq(Some(1))?;
            list.serialize_element(block)?;
            list.end()
        }
        Value::Null => serializer.serialize_seq(Some(0))?.end(),
        Value::Unknown => value.serialize(serializer),
    }
}

pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Value<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    // A null list (not just an empty one) and an unknown element are both possible on
    // the wire, so each level is a Value of its own.
    let blocks: Value<Vec<Value<T>>> = Deserialize::deserialize(deserializer)?;
    match blocks {
        Value::Value(mut blocks) => match blocks.len() {
            0 => Ok(Value::Null),
            1 => Ok(blocks.pop().unwrap_or_default()),
            n => Err(de::Error::invalid_length(n, &"at most one block")),
        },
        Value::Null => Ok(Value::Null),
        Value::Unknown => Ok(Value::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::super::test_models::Timeouts;
    use crate::plugin::dynamic::Dynamic;
    use crate::plugin::test_support::{object, string};
    use crate::plugin::value::{from_dynamic, serde_as_vec, to_dynamic, Value};

    #[test]
    fn a_single_block_is_a_list_of_zero_or_one() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Holder {
            #[serde(with = "serde_as_vec")]
            block: Value<Timeouts>,
        }
        let block = Timeouts {
            create: Value::Unknown,
            delete: Value::Value("1m".into()),
        };
        let cases = [
            (Value::Null, Dynamic::List(vec![])),
            (Value::Unknown, Dynamic::Unknown),
            (
                Value::Value(block.clone()),
                Dynamic::List(vec![object(&[
                    ("create", Dynamic::Unknown),
                    ("delete", string("1m")),
                ])]),
            ),
        ];
        for (value, list) in cases {
            let holder = Holder { block: value };
            let tree = to_dynamic(&holder).unwrap();
            assert_eq!(tree, object(&[("block", list)]));
            assert_eq!(from_dynamic::<Holder>(tree).unwrap(), holder);
        }
        // A null list reads as no block, as does a set of blocks.
        let null = object(&[("block", Dynamic::Null)]);
        assert_eq!(from_dynamic::<Holder>(null).unwrap().block, Value::Null);
        let set = object(&[(
            "block",
            Dynamic::Set(vec![object(&[
                ("create", string("2m")),
                ("delete", Dynamic::Null),
            ])]),
        )]);
        assert_eq!(
            from_dynamic::<Holder>(set).unwrap().block,
            Value::Value(Timeouts {
                create: Value::Value("2m".into()),
                delete: Value::Null,
            })
        );
        let two = object(&[("block", Dynamic::List(vec![object(&[]), object(&[])]))]);
        let error = from_dynamic::<Holder>(two).unwrap_err();
        assert_eq!(
            error.to_string(),
            ".block: expected at most one block, got 2 elements"
        );
    }
}
