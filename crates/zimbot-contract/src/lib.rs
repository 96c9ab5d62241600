//! The ZIM Server API contract as ZEGOCLOUD publishes it: the OpenAPI files of `spec/zim-server-api/`, read into
//! request and answer JSON Schemas of each action.
//!
//! Two sides read it: the embedded hub validates every request it serves against it (so it refuses what the
//! service refuses, with its own decoding), and the test-only service double judges zimbot's requests and answers
//! with it. The files are compiled in ([`Contract::published`]), so a hub started from an installed binary needs
//! no repository; [`Contract::load`] reads another folder (a newer copy of the files).
//!
//! What it is not: a decoder. It says whether a body conforms and how it does not; each side decodes bodies itself.
//!
//! Main types: [`Contract`], [`ActionContract`], [`ContractError`].

mod contract;
mod published;

pub use contract::{ActionContract, Contract, ContractError};
