//! Thin wiring of the stages into the commands of SPEC §2. Only this layer touches files.

pub mod check;
pub mod diagnose;
pub mod input;
pub mod policy;
pub mod sanitize;
pub mod verify;
