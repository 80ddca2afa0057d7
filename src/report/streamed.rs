//! A sequence serialized from an iterator while it is written: a report of a hundred thousand
//! connections is rendered one connection at a time, never built in memory whole.

use std::cell::RefCell;

use serde::ser::{Error, Serialize, Serializer};

/// Serializes the items of `I` as a sequence, making each one as it is written. It can be
/// written once: a second attempt is an error, not an empty list.
pub struct Streamed<I>(RefCell<Option<I>>);

impl<I> Streamed<I> {
    pub fn new(items: I) -> Streamed<I> {
        Streamed(RefCell::new(Some(items)))
    }
}

impl<I> std::fmt::Debug for Streamed<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Streamed(..)")
    }
}

impl<I, T> Serialize for Streamed<I>
where
    I: Iterator<Item = T>,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self
            .0
            .borrow_mut()
            .take()
            .ok_or_else(|| S::Error::custom("a streamed sequence is written only once"))?;
        serializer.collect_seq(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_made_while_written_and_only_once() {
        let made = std::cell::Cell::new(0);
        let seq = Streamed::new((1..=3).map(|n| {
            made.set(made.get() + 1);
            n * 10
        }));
        assert_eq!(made.get(), 0, "nothing is made before writing");
        let yaml = serde_saphyr::to_string(&seq).unwrap();
        assert_eq!(yaml, "- 10\n- 20\n- 30\n");
        assert_eq!(made.get(), 3);
        assert!(serde_saphyr::to_string(&seq).is_err());
    }
}
