//! Which uploader stored each media file, and how many bytes: what the storage quotas count.

use super::{now_millis, Store, StoreError};
use rusqlite::params;
use std::collections::HashMap;

impl Store {
    /// Records a stored file.
    pub(crate) async fn record_media(
        &self,
        uid: &str,
        file_name: &str,
        uploader: &str,
        size: u64,
    ) -> Result<(), StoreError> {
        let (uid, file_name, uploader) = (uid.to_owned(), file_name.to_owned(), uploader.to_owned());
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        self.run(move |connection| {
            connection.execute(
                "INSERT INTO media (uid, file_name, uploader, size, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![uid, file_name, uploader, size, now_millis()],
            )?;
            Ok(())
        })
        .await
    }

    /// Bytes stored per uploader.
    pub(crate) fn media_usage_blocking(&self) -> Result<HashMap<String, u64>, rusqlite::Error> {
        let connection = self.connection.lock();
        let mut statement = connection.prepare("SELECT uploader, SUM(size) FROM media GROUP BY uploader")?;
        let rows = statement
            .query_map([], |row| Ok((row.get::<_, String>(0)?, u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0))))?;
        rows.collect()
    }
}
