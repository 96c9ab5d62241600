//! The header every descriptor starts with, and what the host checks in it.

use crate::{HostApi, PluginDescriptor};

/// The exported entry point's name (NUL-terminated, as `libloading` wants it).
pub const ENTRY_SYMBOL: &[u8] = b"zimbot_plugin_entry_v1\0";
/// The entry point's name, for messages.
pub const ENTRY_SYMBOL_NAME: &str = "zimbot_plugin_entry_v1";
/// Identifies a zimbot descriptor in memory.
pub const MAGIC: [u8; 8] = *b"ZIMBOTPL";
/// Changes when anything in this crate changes incompatibly; host and plugin must agree.
pub const ABI_MAJOR: u16 = 1;
/// Grows when something is added compatibly (a new event, a new host function at the end of the vtable, new
/// actions a plugin relies on). 1.1 added the per-bot store's actions; 1.2 the batched cron event
/// ([`crate::Event::CronBatch`]), which the host sends only to plugins built for 1.2 or later.
pub const ABI_MINOR: u16 = 2;

/// The zimbot-sdk releases that build plugins for [`ABI_MAJOR`]; it changes only with `ABI_MAJOR` (the SDK's major
/// version moves with the ABI's major once it reaches 1.0).
pub const SDK_SERIES: &str = "0.x";

/// The first minor whose plugins take [`crate::Event::CronBatch`] (and answer it with
/// [`crate::HookReply::Batch`]); the host sends older plugins one [`crate::Event::Cron`] per tick.
pub const CRON_BATCH_MINOR: u16 = 2;

/// The struct sizes one minor version of ABI 1 was built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinorLayout {
    pub minor: u16,
    pub descriptor_size: u32,
    pub host_api_size: u32,
}

/// Every minor version this host loads, oldest first; the last row is this build's own.
///
/// The minor-version rule: a minor version may only append fields to [`PluginDescriptor`] and [`HostApi`]. When
/// it does, it bumps [`ABI_MINOR`] and adds a row here, so a plugin built against an older minor is still known by
/// its own sizes: the host reads only the descriptor fields that minor has, and hands its `create` the host
/// functions of that minor (the older prefix of [`HostApi`], as its own frozen type, since `create` takes it by
/// value). A plugin built against a newer minor than the host's is refused: the host cannot know what it expects.
/// Sizes that match no row mean the plugin was built against a modified SDK, and it is refused too.
///
/// 1.1 added actions only (the per-bot store), so its structs have 1.0's sizes: a 1.1 plugin is refused by a 1.0
/// host (newer minor), which would not know its store actions, while this host loads both. 1.2 added an event
/// and a hook reply only: its sizes are 1.1's too.
pub const LAYOUTS: &[MinorLayout] = &[
    MinorLayout {
        minor: 0,
        descriptor_size: std::mem::size_of::<PluginDescriptor>() as u32,
        host_api_size: std::mem::size_of::<HostApi>() as u32,
    },
    MinorLayout {
        minor: 1,
        descriptor_size: std::mem::size_of::<PluginDescriptor>() as u32,
        host_api_size: std::mem::size_of::<HostApi>() as u32,
    },
    MinorLayout {
        minor: 2,
        descriptor_size: std::mem::size_of::<PluginDescriptor>() as u32,
        host_api_size: std::mem::size_of::<HostApi>() as u32,
    },
];

/// The layout row of `minor`, when this host knows it.
pub fn layout_of(minor: u16) -> Option<MinorLayout> {
    LAYOUTS.iter().copied().find(|layout| layout.minor == minor)
}

/// What a plugin was built with. Every field is plain data so it can be read before trusting anything else.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiHeader {
    pub magic: [u8; 8],
    pub abi_major: u16,
    pub abi_minor: u16,
    /// `size_of::<AbiHeader>()` in the plugin's build.
    pub header_size: u32,
    /// `size_of::<PluginDescriptor>()` in the plugin's build.
    pub descriptor_size: u32,
    /// `size_of::<HostApi>()` the plugin expects to be given.
    pub host_api_size: u32,
    /// `async_ffi::ABI_VERSION` the plugin was built with.
    pub async_ffi_abi: u32,
    /// 1 when built with `panic = "unwind"`; a panic=abort plugin would take the whole host down with it.
    pub panic_unwind: u8,
    pub reserved: [u8; 7],
}

impl AbiHeader {
    /// The header for a descriptor built with this crate.
    pub const fn current() -> Self {
        Self {
            magic: MAGIC,
            abi_major: ABI_MAJOR,
            abi_minor: ABI_MINOR,
            header_size: std::mem::size_of::<AbiHeader>() as u32,
            descriptor_size: std::mem::size_of::<PluginDescriptor>() as u32,
            host_api_size: std::mem::size_of::<HostApi>() as u32,
            async_ffi_abi: async_ffi::ABI_VERSION,
            panic_unwind: cfg!(panic = "unwind") as u8,
            reserved: [0; 7],
        }
    }

    /// Checks a plugin's header against this host, in the order that gives the most useful message first.
    pub fn check_compatible(&self) -> Result<(), HeaderMismatch> {
        let host = Self::current();
        if self.magic != MAGIC {
            return Err(HeaderMismatch::Magic { found: self.magic });
        }
        if self.abi_major != host.abi_major {
            return Err(HeaderMismatch::Major { found: self.abi_major, needed: host.abi_major });
        }
        if self.abi_minor > host.abi_minor {
            return Err(HeaderMismatch::NewerMinor { found: self.abi_minor, supported: host.abi_minor });
        }
        // An older minor is checked against that minor's own sizes, not this build's.
        let expected = layout_of(self.abi_minor).ok_or(HeaderMismatch::UnknownMinor { found: self.abi_minor })?;
        if self.header_size != host.header_size
            || self.descriptor_size != expected.descriptor_size
            || self.host_api_size != expected.host_api_size
        {
            return Err(HeaderMismatch::Layout {
                minor: self.abi_minor,
                found: (self.header_size, self.descriptor_size, self.host_api_size),
                needed: (host.header_size, expected.descriptor_size, expected.host_api_size),
            });
        }
        if self.async_ffi_abi != host.async_ffi_abi {
            return Err(HeaderMismatch::AsyncFfi { found: self.async_ffi_abi, needed: host.async_ffi_abi });
        }
        if self.panic_unwind != 1 {
            return Err(HeaderMismatch::PanicAbort);
        }
        Ok(())
    }
}

/// Why a plugin's header does not fit this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderMismatch {
    Magic {
        found: [u8; 8],
    },
    Major {
        found: u16,
        needed: u16,
    },
    NewerMinor {
        found: u16,
        supported: u16,
    },
    /// An older minor this host has no layout row for (a gap in [`LAYOUTS`]).
    UnknownMinor {
        found: u16,
    },
    Layout {
        minor: u16,
        found: (u32, u32, u32),
        needed: (u32, u32, u32),
    },
    AsyncFfi {
        found: u32,
        needed: u32,
    },
    PanicAbort,
}

impl std::fmt::Display for HeaderMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Magic { found } => write!(
                f,
                "the descriptor does not start with zimbot's magic bytes (found {found:?}); \
                 it was not made by zimbot-sdk's export_plugin!"
            ),
            Self::Major { found, needed } if found < needed => write!(
                f,
                "it was built for plugin ABI {found}.x but this runtime needs {needed}.x; \
                 rebuild the plugin against zimbot-sdk {SDK_SERIES}"
            ),
            Self::Major { found, needed } => write!(
                f,
                "it was built for plugin ABI {found}.x, newer than this runtime's {needed}.x; \
                 upgrade zimbot or rebuild the plugin against zimbot-sdk {SDK_SERIES}"
            ),
            Self::NewerMinor { found, supported } => {
                write!(f, "it needs plugin ABI 1.{found} but this runtime supports up to 1.{supported}; upgrade zimbot")
            }
            Self::UnknownMinor { found } => write!(
                f,
                "it was built for plugin ABI 1.{found}, which this runtime has no layout for; \
                 rebuild the plugin against zimbot-sdk 0.{} (plugin ABI 1.{ABI_MINOR})",
                ABI_MINOR + 1
            ),
            Self::Layout { minor, found, needed } => write!(
                f,
                "its ABI struct sizes (header, descriptor, host api) are {found:?} but plugin ABI 1.{minor} has \
                 {needed:?}; it was built against a modified zimbot-sdk: rebuild it against a released one"
            ),
            Self::AsyncFfi { found, needed } => {
                write!(f, "it was built with async-ffi ABI {found} but this runtime uses {needed}; rebuild the plugin")
            }
            Self::PanicAbort => write!(
                f,
                "it was built with panic=abort, so one panicking hook would abort every bot; \
                 build it with panic=\"unwind\" (the default)"
            ),
        }
    }
}

impl std::error::Error for HeaderMismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_header_is_compatible() {
        assert_eq!(AbiHeader::current().check_compatible(), Ok(()));
    }

    #[test]
    fn an_older_major_names_both_versions() {
        let header = AbiHeader { abi_major: 0, ..AbiHeader::current() };
        let message = header.check_compatible().unwrap_err().to_string();
        assert!(message.contains("ABI 0.x") && message.contains("needs 1.x"), "{message}");
    }

    #[test]
    fn a_newer_minor_is_refused_telling_to_upgrade_zimbot() {
        let newer = AbiHeader { abi_minor: ABI_MINOR + 1, ..AbiHeader::current() };
        let message = newer.check_compatible().unwrap_err().to_string();
        assert!(message.contains("upgrade zimbot"), "{message}");
    }

    #[test]
    fn every_known_minor_is_accepted_with_its_own_sizes() {
        for layout in LAYOUTS {
            let header = AbiHeader {
                abi_minor: layout.minor,
                descriptor_size: layout.descriptor_size,
                host_api_size: layout.host_api_size,
                ..AbiHeader::current()
            };
            assert_eq!(header.check_compatible(), Ok(()), "minor {}", layout.minor);
        }
    }

    #[test]
    fn the_last_layout_row_is_this_builds_own() {
        let own = AbiHeader::current();
        let last = LAYOUTS.last().copied();
        assert_eq!(
            last,
            Some(MinorLayout {
                minor: ABI_MINOR,
                descriptor_size: own.descriptor_size,
                host_api_size: own.host_api_size
            })
        );
    }

    #[test]
    fn an_older_minor_with_another_minors_sizes_is_refused_naming_its_minor() {
        let header = AbiHeader { descriptor_size: AbiHeader::current().descriptor_size + 8, ..AbiHeader::current() };
        let message = header.check_compatible().unwrap_err().to_string();
        assert!(message.contains(&format!("plugin ABI 1.{ABI_MINOR} has")), "{message}");
    }

    #[test]
    fn a_plugin_built_for_1_0_still_loads() {
        let header = AbiHeader { abi_minor: 0, ..AbiHeader::current() };
        assert_eq!(header.check_compatible(), Ok(()));
    }

    #[test]
    fn panic_abort_builds_are_refused() {
        let header = AbiHeader { panic_unwind: 0, ..AbiHeader::current() };
        assert!(header.check_compatible().unwrap_err().to_string().contains("panic=abort"));
    }

    #[test]
    fn a_layout_mismatch_is_refused() {
        let header = AbiHeader { host_api_size: 8, ..AbiHeader::current() };
        assert!(matches!(header.check_compatible(), Err(HeaderMismatch::Layout { .. })));
    }
}
