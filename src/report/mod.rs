//! What pcapscrub writes besides the capture: the summary, SHA256SUMS, the evidence folder.

pub mod evidence;
pub mod hashing;
pub mod html;
pub mod ladder;
pub mod mapping_table;
pub mod streamed;
pub mod summary;
pub mod summary_json;
pub mod visual;
