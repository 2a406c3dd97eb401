//! Rust to [`Dynamic`]: a serde `Serializer` that builds the tree a resource model stands for.
//!
//! Only this serializer understands the unknown marker `Value::Unknown` serializes as; it
//! turns it into [`Dynamic::Unknown`]. Everything else maps onto the tree the way serde_json
//! would map it onto JSON, so derived impls and serde attributes behave as they do there.

use std::collections::BTreeMap;

use serde::{ser, Serialize};

use super::error::{BridgeError, PathStep};
use super::UNKNOWN_MARKER;
use crate::plugin::dynamic::{Dynamic, Number};

/// Converts a serde value (typically a resource's model struct) into a [`Dynamic`] tree.
///
/// Structs become objects and maps become maps (keys must serialize as strings); sequences,
/// sets and tuples become lists, which the wire codec re-types as the schema says.
/// `Value::Unknown` becomes [`Dynamic::Unknown`]; `None`, `()` and `Value::Null` become null.
pub fn to_dynamic<T: Serialize + ?Sized>(value: &T) -> Result<Dynamic, BridgeError> {
    value.serialize(DynamicSerializer)
}

struct DynamicSerializer;

fn int(n: impl Into<i64>) -> Dynamic {
    Dynamic::Number(Number::Int(n.into()))
}

fn wide(n: impl TryInto<i64> + ToString + Copy) -> Dynamic {
    match n.try_into() {
        Ok(n) => int(n),
        Err(_) => Dynamic::Number(Number::Big(n.to_string())),
    }
}

/// Integers of every width that fits an `i64` become `Int` ([`int`]), the wider ones `Int` or
/// `Big` as their value says ([`wide`]); the methods differ only in the width they take.
macro_rules! integers {
    ($convert:ident: $($method:ident($width:ty))*) => {$(
        fn $method(self, v: $width) -> Result<Dynamic, BridgeError> {
            Ok($convert(v))
        }
    )*};
}

impl ser::Serializer for DynamicSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;
    type SerializeSeq = ListSerializer;
    type SerializeTuple = ListSerializer;
    type SerializeTupleStruct = ListSerializer;
    type SerializeTupleVariant = VariantSerializer<ListSerializer>;
    type SerializeMap = MapSerializer;
    type SerializeStruct = ObjectSerializer;
    type SerializeStructVariant = VariantSerializer<ObjectSerializer>;

    fn serialize_bool(self, v: bool) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Bool(v))
    }

    integers! {
        int: serialize_i8(i8) serialize_i16(i16) serialize_i32(i32) serialize_i64(i64)
        serialize_u8(u8) serialize_u16(u16) serialize_u32(u32)
    }

    integers! {
        wide: serialize_i128(i128) serialize_u64(u64) serialize_u128(u128)
    }

    fn serialize_f32(self, v: f32) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Number(Number::Float(v.into())))
    }

    fn serialize_f64(self, v: f64) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Number(Number::Float(v)))
    }

    fn serialize_char(self, v: char) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::String(v.to_string()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::List(v.iter().map(|&b| int(b)).collect()))
    }

    fn serialize_none(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Dynamic, BridgeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Null)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Dynamic, BridgeError> {
        Ok(if name == UNKNOWN_MARKER {
            Dynamic::Unknown
        } else {
            Dynamic::Null
        })
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::String(variant.to_string()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Dynamic, BridgeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Dynamic, BridgeError> {
        let inner = value
            .serialize(DynamicSerializer)
            .map_err(|e| e.within(PathStep::Attribute(variant.to_string())))?;
        Ok(tagged(variant, inner))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ListSerializer, BridgeError> {
        Ok(ListSerializer {
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<ListSerializer, BridgeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ListSerializer, BridgeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<ListSerializer>, BridgeError> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapSerializer, BridgeError> {
        Ok(MapSerializer {
            entries: BTreeMap::new(),
            key: None,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ObjectSerializer, BridgeError> {
        Ok(ObjectSerializer {
            attributes: BTreeMap::new(),
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<ObjectSerializer>, BridgeError> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_struct(name, len)?,
        })
    }
}

struct ListSerializer {
    items: Vec<Dynamic>,
}

impl ListSerializer {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        let index = self.items.len();
        let item = value
            .serialize(DynamicSerializer)
            .map_err(|e| e.within(PathStep::Index(index)))?;
        self.items.push(item);
        Ok(())
    }
}

/// Sequences, tuples and tuple structs all become a list, element by element; serde only
/// names the element method differently for each.
macro_rules! list_serializer {
    ($($serialize:ident :: $element:ident),*) => {$(
        impl ser::$serialize for ListSerializer {
            type Ok = Dynamic;
            type Error = BridgeError;

            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
                self.push(value)
            }

            fn end(self) -> Result<Dynamic, BridgeError> {
                Ok(Dynamic::List(self.items))
            }
        }
    )*};
}

list_serializer!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

struct MapSerializer {
    entries: BTreeMap<String, Dynamic>,
    /// The key given by `serialize_key`, waiting for its value.
    key: Option<String>,
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), BridgeError> {
        // Serializing the key like any value accepts exactly what ends up as a string (str,
        // char, unit variants, newtypes of those) without a second serializer.
        match key.serialize(DynamicSerializer)? {
            Dynamic::String(key) => {
                self.key = Some(key);
                Ok(())
            }
            other => Err(BridgeError::new(format!(
                "map keys must be strings, got {}",
                other.kind_name()
            ))),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| BridgeError::new("map value serialized before its key"))?;
        let value = value
            .serialize(DynamicSerializer)
            .map_err(|e| e.within(PathStep::Key(key.clone())))?;
        self.entries.insert(key, value);
        Ok(())
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Map(self.entries))
    }
}

struct ObjectSerializer {
    attributes: BTreeMap<String, Dynamic>,
}

impl ser::SerializeStruct for ObjectSerializer {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), BridgeError> {
        let value = value
            .serialize(DynamicSerializer)
            .map_err(|e| e.within(PathStep::Attribute(name.to_string())))?;
        self.attributes.insert(name.to_string(), value);
        Ok(())
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(Dynamic::Object(self.attributes))
    }
}

/// A tuple or struct variant, externally tagged as serde_json does it: `{variant: content}`.
struct VariantSerializer<S> {
    variant: &'static str,
    inner: S,
}

fn tagged(variant: &'static str, content: Dynamic) -> Dynamic {
    Dynamic::Object(BTreeMap::from([(variant.to_string(), content)]))
}

impl ser::SerializeTupleVariant for VariantSerializer<ListSerializer> {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BridgeError> {
        let variant = self.variant;
        self.inner
            .push(value)
            .map_err(|e| e.within(PathStep::Attribute(variant.to_string())))
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(tagged(self.variant, Dynamic::List(self.inner.items)))
    }
}

impl ser::SerializeStructVariant for VariantSerializer<ObjectSerializer> {
    type Ok = Dynamic;
    type Error = BridgeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), BridgeError> {
        let variant = self.variant;
        ser::SerializeStruct::serialize_field(&mut self.inner, name, value)
            .map_err(|e| e.within(PathStep::Attribute(variant.to_string())))
    }

    fn end(self) -> Result<Dynamic, BridgeError> {
        Ok(tagged(self.variant, Dynamic::Object(self.inner.attributes)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn serializer_errors_name_the_path_too() {
        #[derive(Serialize)]
        struct Bad {
            ids: Vec<BTreeMap<i64, String>>,
        }
        let bad = Bad {
            ids: vec![BTreeMap::from([(1, "x".into())])],
        };
        assert_eq!(
            to_dynamic(&bad).unwrap_err().to_string(),
            ".ids[0]: map keys must be strings, got a number"
        );
    }
}
