//! The frozen plugin ABI (being built).
