//! A serde `Deserializer` over the located tree: typed structs with `deny_unknown_fields` read bots.yaml
//! exactly as they would through serde_yaml, and every problem comes back with its line and column.
//!
//! Like serde_yaml, the target type decides how a scalar is read: `room: 10001` is a string for a `String`
//! field and a number for a `u32` one. Only where the target accepts anything (the free-form `config:`) does
//! the YAML 1.2 core schema decide (null, bool, integer, float, else string; quoted is always a string).

use super::de_error::DeError;
use super::node::{Entry, Node, NodeKind, Scalar};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};

/// Deserializes one node; `path` is its child-index path from the root being deserialized.
pub(super) struct NodeDeserializer<'a> {
    node: &'a Node,
    path: Vec<usize>,
}

impl<'a> NodeDeserializer<'a> {
    /// A deserializer for `node` as the root of its own deserialization.
    pub fn root(node: &'a Node) -> Self {
        Self { node, path: Vec::new() }
    }
}

/// What the target type asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Any,
    Bool,
    Integer,
    Float,
    Text,
    Option,
    Unit,
    Newtype,
    Sequence,
    Mapping,
    Enum,
    Ignore,
}

/// A plain scalar's value under the YAML 1.2 core schema.
enum Resolved<'a> {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    Text(&'a str),
}

impl Resolved<'_> {
    fn of(scalar: &Scalar) -> Resolved<'_> {
        let text = scalar.text.as_str();
        if !scalar.plain {
            return Resolved::Text(text);
        }
        if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
            return Resolved::Null;
        }
        if let Some(value) = parse_bool(text) {
            return Resolved::Bool(value);
        }
        if let Some(value) = parse_integer(text) {
            return Resolved::Integer(value);
        }
        if let Some(value) = parse_float(text) {
            return Resolved::Float(value);
        }
        Resolved::Text(text)
    }

    fn unexpected(&self) -> Unexpected<'_> {
        match *self {
            Resolved::Null => Unexpected::Unit,
            Resolved::Bool(value) => Unexpected::Bool(value),
            Resolved::Integer(value) => match u64::try_from(value) {
                Ok(value) => Unexpected::Unsigned(value),
                Err(_) => Unexpected::Signed(i64::try_from(value).unwrap_or(i64::MIN)),
            },
            Resolved::Float(value) => Unexpected::Float(value),
            Resolved::Text(text) => Unexpected::Str(text),
        }
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn parse_integer(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(octal) = digits.strip_prefix("0o") {
        i128::from_str_radix(octal, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    // Rust also reads "inf" and "nan", which YAML treats as strings.
    let numeric = text.bytes().all(|byte| byte.is_ascii_digit() || b"+-.eE".contains(&byte));
    if numeric && text.bytes().any(|byte| byte.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

fn visit_integer<'de, V: Visitor<'de>>(value: i128, visitor: V) -> Result<V::Value, DeError> {
    if let Ok(value) = u64::try_from(value) {
        visitor.visit_u64(value)
    } else if let Ok(value) = i64::try_from(value) {
        visitor.visit_i64(value)
    } else {
        visitor.visit_i128(value)
    }
}

impl<'a> NodeDeserializer<'a> {
    /// Reads the node as `want`, and locates any problem at this node unless a deeper one already was.
    fn dispatch<'de, V: Visitor<'de>>(self, want: Want, visitor: V) -> Result<V::Value, DeError> {
        let location = self.node.location;
        self.visit(want, visitor).map_err(|error| error.at(location))
    }

    fn visit<'de, V: Visitor<'de>>(self, want: Want, visitor: V) -> Result<V::Value, DeError> {
        let node: &'a Node = self.node;
        match &node.kind {
            NodeKind::Scalar(scalar) => self.visit_scalar(scalar, want, visitor),
            NodeKind::Sequence(items) => match want {
                Want::Any | Want::Sequence => {
                    let mut access = ItemAccess { items, path: &self.path, index: 0 };
                    visitor.visit_seq(&mut access)
                }
                Want::Option => visitor.visit_some(self),
                Want::Newtype => visitor.visit_newtype_struct(self),
                Want::Ignore => visitor.visit_unit(),
                _ => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
            },
            NodeKind::Mapping(entries) => match want {
                Want::Any | Want::Mapping => self.visit_mapping(entries, visitor),
                Want::Option => visitor.visit_some(self),
                Want::Newtype => visitor.visit_newtype_struct(self),
                Want::Ignore => visitor.visit_unit(),
                _ => Err(de::Error::invalid_type(Unexpected::Map, &visitor)),
            },
        }
    }

    fn visit_scalar<'de, V: Visitor<'de>>(
        self,
        scalar: &'a Scalar,
        want: Want,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if scalar.unresolved && want != Want::Ignore {
            return Err(DeError::already_reported());
        }
        let resolved = Resolved::of(scalar);
        let invalid = |visitor: &V| Err(de::Error::invalid_type(resolved.unexpected(), visitor));
        let text = scalar.text.as_str();
        match want {
            Want::Any => match resolved {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(value) => visitor.visit_bool(value),
                Resolved::Integer(value) => visit_integer(value, visitor),
                Resolved::Float(value) => visitor.visit_f64(value),
                Resolved::Text(text) => visitor.visit_str(text),
            },
            // Numbers and booleans are read from quoted text too, so `"${PORT}"` works where a number is due.
            Want::Bool => match parse_bool(text) {
                Some(value) => visitor.visit_bool(value),
                None => invalid(&visitor),
            },
            Want::Integer => match parse_integer(text) {
                Some(value) => visit_integer(value, visitor),
                None => invalid(&visitor),
            },
            Want::Float => match parse_float(text).or_else(|| parse_integer(text).map(|value| value as f64)) {
                Some(value) => visitor.visit_f64(value),
                None => invalid(&visitor),
            },
            Want::Text => visitor.visit_str(text),
            Want::Option => match resolved {
                Resolved::Null => visitor.visit_none(),
                _ => visitor.visit_some(self),
            },
            Want::Unit => match resolved {
                Resolved::Null => visitor.visit_unit(),
                _ => invalid(&visitor),
            },
            Want::Newtype => visitor.visit_newtype_struct(self),
            Want::Enum => visitor.visit_enum(text.into_deserializer()),
            Want::Sequence | Want::Mapping => invalid(&visitor),
            Want::Ignore => visitor.visit_unit(),
        }
    }

    fn visit_mapping<'de, V: Visitor<'de>>(&self, entries: &[Entry], visitor: V) -> Result<V::Value, DeError> {
        let mut access = EntryAccess { entries, path: &self.path, index: 0, pending: None };
        visitor.visit_map(&mut access).map_err(|error| {
            // A problem raised between a key and its value (a duplicate field) belongs to that key.
            let error = match access.pending {
                Some(index) if error.location.is_none() => {
                    let entry = &entries[index];
                    error.at(entry.key.location).in_entry(&child_path(&self.path, index), entry.key.as_text())
                }
                _ => error,
            };
            error.in_mapping(&self.path)
        })
    }
}

fn child_path(path: &[usize], index: usize) -> Vec<usize> {
    let mut child = Vec::with_capacity(path.len() + 1);
    child.extend_from_slice(path);
    child.push(index);
    child
}

macro_rules! forward {
    ($($method:ident => $want:ident),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.dispatch(Want::$want, visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
    type Error = DeError;

    forward! {
        deserialize_any => Any, deserialize_bool => Bool,
        deserialize_i8 => Integer, deserialize_i16 => Integer, deserialize_i32 => Integer, deserialize_i64 => Integer,
        deserialize_i128 => Integer, deserialize_u8 => Integer, deserialize_u16 => Integer,
        deserialize_u32 => Integer, deserialize_u64 => Integer, deserialize_u128 => Integer,
        deserialize_f32 => Float, deserialize_f64 => Float,
        deserialize_char => Text, deserialize_str => Text, deserialize_string => Text,
        deserialize_bytes => Text, deserialize_byte_buf => Text, deserialize_identifier => Text,
        deserialize_option => Option, deserialize_unit => Unit, deserialize_seq => Sequence,
        deserialize_map => Mapping, deserialize_ignored_any => Ignore,
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        self.dispatch(Want::Unit, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        self.dispatch(Want::Newtype, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.dispatch(Want::Sequence, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.dispatch(Want::Sequence, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.dispatch(Want::Mapping, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.dispatch(Want::Enum, visitor)
    }
}

/// Hands a sequence's items to the visitor.
struct ItemAccess<'a, 'p> {
    items: &'a [Node],
    path: &'p [usize],
    index: usize,
}

impl<'de> de::SeqAccess<'de> for ItemAccess<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.get(self.index) else {
            return Ok(None);
        };
        let path = child_path(self.path, self.index);
        self.index += 1;
        seed.deserialize(NodeDeserializer { node: item, path }).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.index)
    }
}

/// Hands a mapping's visible entries to the visitor, tagging problems with the entry they are in.
struct EntryAccess<'a, 'p> {
    entries: &'a [Entry],
    path: &'p [usize],
    index: usize,
    /// The entry whose key was handed out and whose value was not yet.
    pending: Option<usize>,
}

impl<'de> de::MapAccess<'de> for EntryAccess<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        while self.entries.get(self.index).is_some_and(|entry| entry.hidden) {
            self.index += 1;
        }
        let Some(entry) = self.entries.get(self.index) else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        self.pending = Some(index);
        let path = child_path(self.path, index);
        seed.deserialize(NodeDeserializer { node: &entry.key, path: path.clone() })
            .map(Some)
            .map_err(|error| error.in_entry(&path, entry.key.as_text()))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(index) = self.pending.take() else {
            return Err(de::Error::custom("a mapping value was asked for before its key"));
        };
        let entry = &self.entries[index];
        let path = child_path(self.path, index);
        seed.deserialize(NodeDeserializer { node: &entry.value, path: path.clone() })
            .map_err(|error| error.in_entry(&path, entry.key.as_text()))
    }
}
