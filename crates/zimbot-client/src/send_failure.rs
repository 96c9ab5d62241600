//! What a send's terminal failure tells the plugin: the service's code, with a message that says what it means
//! for this send when the code alone would mislead.
//!
//! A group send answered "group does not exist" (660600001) most often means the group was disbanded when its
//! last member left: a group id is never used again, so zimbot never creates it anew and never retries; the
//! failure says so and what to do (declare a new id).

use crate::conversation_setup::disbanded_group_error;
use crate::transport::OutboundMessage;
use zimbot_model::{ConversationType, ZimCode, ZimError};

/// The error the plugin hears for `message` failing with `error`.
pub(crate) fn explain(message: &OutboundMessage, error: ZimError) -> ZimError {
    match (message.conversation_type, error.code) {
        (ConversationType::Group, ZimCode::GROUP_NOT_FOUND) => disbanded_group_error(&message.to, &error),
        _ => error,
    }
}
