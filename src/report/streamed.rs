//! A sequence serialized from an iterator while it is written: a report of a hundred thousand
//! connections is rendered one connection at a time, never built in memory whole.

use std::cell::RefCell;

use serde::ser::{Error, Serialize, SerializeSeq, Serializer};

/// Serializes the items of `I` as a sequence, making each one as it is written; an item that
/// could not be made ends the writing with its error. It can be written once: a second attempt
/// is an error, not an empty list.
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

impl<I, T, E> Serialize for Streamed<I>
where
    I: Iterator<Item = Result<T, E>>,
    T: Serialize,
    E: std::fmt::Display,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self
            .0
            .borrow_mut()
            .take()
            .ok_or_else(|| S::Error::custom("a streamed sequence is written only once"))?;
        let mut seq = serializer.serialize_seq(None)?;
        for item in items {
            seq.serialize_element(&item.map_err(|e| S::Error::custom(format!("{e:#}")))?)?;
        }
        seq.end()
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
            Ok::<_, String>(n * 10)
        }));
        assert_eq!(made.get(), 0, "nothing is made before writing");
        let yaml = serde_saphyr::to_string(&seq).unwrap();
        assert_eq!(yaml, "- 10\n- 20\n- 30\n");
        assert_eq!(made.get(), 3);
        assert!(serde_saphyr::to_string(&seq).is_err());
    }

    #[test]
    fn an_item_that_cannot_be_made_ends_the_writing_with_its_error() {
        let seq = Streamed::new([Ok(1), Err("disk gone"), Ok(3)].into_iter());
        let err = serde_saphyr::to_string(&seq).unwrap_err();
        assert!(err.to_string().contains("disk gone"), "{err}");
    }
}
