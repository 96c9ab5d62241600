//! The published OpenAPI files, compiled in from the repository's `spec/zim-server-api/` folder.

/// `(file name, contents)` of every file of the folder, in name order.
pub(crate) const FILES: [(&str, &str); 9] = [
    ("add-group-members.yaml", include_str!("../../../spec/zim-server-api/add-group-members.yaml")),
    ("batch-register-users.yaml", include_str!("../../../spec/zim-server-api/batch-register-users.yaml")),
    ("create-a-group.yaml", include_str!("../../../spec/zim-server-api/create-a-group.yaml")),
    ("create-a-room.yaml", include_str!("../../../spec/zim-server-api/create-a-room.yaml")),
    ("register-bots.yaml", include_str!("../../../spec/zim-server-api/register-bots.yaml")),
    ("send-a-one-to-one-message.yaml", include_str!("../../../spec/zim-server-api/send-a-one-to-one-message.yaml")),
    ("send-group-messages.yaml", include_str!("../../../spec/zim-server-api/send-group-messages.yaml")),
    ("send-room-messages.yaml", include_str!("../../../spec/zim-server-api/send-room-messages.yaml")),
    ("shared-components.yaml", include_str!("../../../spec/zim-server-api/shared-components.yaml")),
];
