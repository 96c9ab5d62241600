//! Wall-clock time behind a trait, so the scheduler can be tested on virtual time (stub, being built).
