//! Between the protocol's messages and the handler's values: every `DynamicValue` the service
//! decodes or encodes goes through here, with the schema's type, so that a value that does not
//! fit becomes an error diagnostic naming what it was rather than a transport error.
//!
//! Apart from the service itself because these are the only places that touch the wire
//! codecs, and every RPC uses them the same way.

use std::time::SystemTime;

use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::dynamic::{Dynamic, Type};
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::service::ClientCapabilities;
use crate::plugin::{json, msgpack};

/// What the client says it supports; an old Terraform that sends nothing supports nothing.
pub(super) fn capabilities(proto: Option<pb::ClientCapabilities>) -> ClientCapabilities {
    let proto = proto.unwrap_or_default();
    ClientCapabilities {
        deferral_allowed: proto.deferral_allowed,
        write_only_attributes_allowed: proto.write_only_attributes_allowed,
    }
}

/// Decodes a value Terraform sent; `what` names it in the error.
pub(super) fn decode(
    value: Option<pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Dynamic> {
    let value = value.unwrap_or_default();
    let decoded = if !value.msgpack.is_empty() {
        msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        json::decode(&value.json, ty)
    } else {
        return Some(Dynamic::Null);
    };
    match decoded {
        Ok(value) => Some(value),
        Err(error) => {
            diags.root_error(
                format!("Invalid {what} from Terraform"),
                format!(
                    "The provider could not read the {what} Terraform sent: {error}. This is a \
                     bug in terraform-provider-dbaas or an incompatible Terraform version; please \
                     report it."
                ),
            );
            None
        }
    }
}

/// Like [`decode`] for a value Terraform may leave out entirely (provider_meta, identity).
pub(super) fn decode_optional(
    value: Option<pb::DynamicValue>,
    ty: Option<&Type>,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Dynamic> {
    let value = value.filter(|v| !v.msgpack.is_empty() || !v.json.is_empty())?;
    decode(Some(value), ty?, what, diags)
}

/// Encodes a value for Terraform; a value that does not fit the schema is a provider bug.
pub(super) fn encode(
    value: &Dynamic,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match msgpack::encode(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(error) => {
            diags.root_error(
                format!("Provider produced an invalid {what}"),
                format!(
                    "The {what} does not fit the schema: {error}. This is a bug in \
                     terraform-provider-dbaas; please report it."
                ),
            );
            None
        }
    }
}

/// The resource identity Terraform sent, when there is one and the resource has an identity
/// schema.
pub(super) fn identity_data(
    identity: Option<pb::ResourceIdentityData>,
    ty: Option<&Type>,
    diags: &mut Diagnostics,
) -> Option<Dynamic> {
    decode_optional(identity?.identity_data, ty, "resource identity", diags)
}

/// The identity the handler returned, when it returned one and the resource has an identity
/// schema.
pub(super) fn encode_identity(
    identity: Option<Dynamic>,
    ty: Option<&Type>,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let (identity, ty) = (identity?, ty?);
    Some(pb::ResourceIdentityData {
        identity_data: encode(&identity, ty, "resource identity", diags),
    })
}

/// A time as protobuf's `Timestamp`; a time before 1970 (never produced here) becomes the epoch.
pub(super) fn timestamp(time: SystemTime) -> prost_types::Timestamp {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    prost_types::Timestamp {
        seconds: since.as_secs() as i64,
        nanos: since.subsec_nanos() as i32,
    }
}
