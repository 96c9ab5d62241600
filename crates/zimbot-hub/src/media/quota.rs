//! Storage quotas: how many bytes each uploader, and all uploaders together, may keep in the media store.
//!
//! Usage is counted from the `media` table (one row per stored file and its uploader), loaded at start and kept
//! in memory. An upload reserves its declared length before a byte is written; the reservation becomes usage when
//! the file is stored and is released otherwise, so concurrent uploads cannot together pass a quota.

use super::MediaError;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// The quotas and the bytes used and reserved.
#[derive(Debug)]
pub(crate) struct Quota {
    per_uploader: u64,
    total: u64,
    used: Mutex<Usage>,
}

#[derive(Debug, Default)]
struct Usage {
    by_uploader: HashMap<String, u64>,
    total: u64,
}

impl Quota {
    /// Quotas of `per_uploader` and `total` bytes, starting from `used` bytes per uploader.
    pub(crate) fn new(per_uploader: u64, total: u64, used: HashMap<String, u64>) -> Self {
        let total_used = used.values().sum();
        Self { per_uploader, total, used: Mutex::new(Usage { by_uploader: used, total: total_used }) }
    }

    /// Reserves `size` bytes for `uploader`, or says which quota it would pass.
    pub(crate) fn reserve(self: &Arc<Self>, uploader: &str, size: u64) -> Result<Reservation, MediaError> {
        let mut used = self.used.lock();
        let mine = used.by_uploader.get(uploader).copied().unwrap_or(0);
        if mine.saturating_add(size) > self.per_uploader {
            return Err(MediaError::QuotaExceeded {
                which: "per-uploader",
                used: mine,
                size,
                quota: self.per_uploader,
                setting: "zim.hub.max_user_storage_mb",
            });
        }
        if used.total.saturating_add(size) > self.total {
            return Err(MediaError::QuotaExceeded {
                which: "total",
                used: used.total,
                size,
                quota: self.total,
                setting: "zim.hub.max_total_storage_mb",
            });
        }
        *used.by_uploader.entry(uploader.to_owned()).or_default() += size;
        used.total += size;
        Ok(Reservation { quota: Arc::clone(self), uploader: uploader.to_owned(), size, kept: false })
    }

    fn release(&self, uploader: &str, size: u64) {
        let mut used = self.used.lock();
        if let Some(mine) = used.by_uploader.get_mut(uploader) {
            *mine = mine.saturating_sub(size);
        }
        used.total = used.total.saturating_sub(size);
    }
}

/// Bytes reserved for one upload; released when dropped unless kept.
#[derive(Debug)]
pub(crate) struct Reservation {
    quota: Arc<Quota>,
    uploader: String,
    size: u64,
    kept: bool,
}

impl Reservation {
    /// The upload was stored: its bytes stay counted.
    pub(crate) fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.kept {
            self.quota.release(&self.uploader, self.size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_uploader_and_everyone_together_stay_within_their_quota() {
        let quota = Arc::new(Quota::new(100, 150, HashMap::from([("alice".to_owned(), 60)])));
        assert!(matches!(quota.reserve("alice", 41), Err(MediaError::QuotaExceeded { which: "per-uploader", .. })));
        quota.reserve("alice", 40).unwrap().keep();
        assert!(matches!(quota.reserve("bob", 51), Err(MediaError::QuotaExceeded { which: "total", .. })));
        let reserved = quota.reserve("bob", 50).unwrap();
        drop(reserved);
        quota.reserve("bob", 50).unwrap().keep();
    }
}
