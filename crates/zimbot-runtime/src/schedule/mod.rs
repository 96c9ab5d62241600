//! The cron scheduler (stub, being built).
