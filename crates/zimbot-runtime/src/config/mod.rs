//! bots.yaml (stub, being built).
