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
/// Grows when something is added compatibly (a new event, a new host function at the end of the vtable).
pub const ABI_MINOR: u16 = 0;

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
        self.check_against(&Self::current())
    }

    /// [`Self::check_compatible`] against the header of a given host: while the host is at minor 0, an older
    /// minor can only be tested against a pretended newer host.
    fn check_against(&self, host: &Self) -> Result<(), HeaderMismatch> {
        if self.magic != MAGIC {
            return Err(HeaderMismatch::Magic { found: self.magic });
        }
        if self.abi_major != host.abi_major {
            return Err(HeaderMismatch::Major { found: self.abi_major, needed: host.abi_major });
        }
        if self.abi_minor > host.abi_minor {
            return Err(HeaderMismatch::NewerMinor { found: self.abi_minor, supported: host.abi_minor });
        }
        if self.header_size != host.header_size
            || self.descriptor_size != host.descriptor_size
            || self.host_api_size != host.host_api_size
        {
            return Err(HeaderMismatch::Layout {
                found: (self.header_size, self.descriptor_size, self.host_api_size),
                needed: (host.header_size, host.descriptor_size, host.host_api_size),
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
    Magic { found: [u8; 8] },
    Major { found: u16, needed: u16 },
    NewerMinor { found: u16, supported: u16 },
    Layout { found: (u32, u32, u32), needed: (u32, u32, u32) },
    AsyncFfi { found: u32, needed: u32 },
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
                 rebuild the plugin against zimbot-sdk {needed}.x"
            ),
            Self::Major { found, needed } => write!(
                f,
                "it was built for plugin ABI {found}.x, newer than this runtime's {needed}.x; \
                 upgrade zimbot or rebuild the plugin against zimbot-sdk {needed}.x"
            ),
            Self::NewerMinor { found, supported } => {
                write!(f, "it needs plugin ABI 1.{found} but this runtime supports up to 1.{supported}; upgrade zimbot")
            }
            Self::Layout { found, needed } => write!(
                f,
                "its ABI struct sizes (header, descriptor, host api) are {found:?} but this runtime's are {needed:?}; \
                 rebuild the plugin against the same zimbot-sdk"
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
    fn a_newer_minor_is_refused() {
        let newer = AbiHeader { abi_minor: ABI_MINOR + 1, ..AbiHeader::current() };
        assert!(matches!(newer.check_compatible(), Err(HeaderMismatch::NewerMinor { .. })));
    }

    #[test]
    fn an_older_minor_is_accepted() {
        let host = AbiHeader { abi_minor: 3, ..AbiHeader::current() };
        let older = AbiHeader { abi_minor: 2, ..AbiHeader::current() };
        assert_eq!(older.check_against(&host), Ok(()));
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
