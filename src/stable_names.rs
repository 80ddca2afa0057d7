//! Enums whose variants have stable names: verdicts, finding kinds, drop reasons, policy values
//! and the like. The names are part of the output (summaries, `check` findings, the private
//! mapping, policy files), so each enum declares every variant next to its name once, through
//! [`stable_names!`](crate::stable_names::stable_names), and everything that spells a name is
//! generated from that one list: a variant cannot be missing from any of them.

/// What [`stable_names!`](crate::stable_names::stable_names) gives every enum, for code that is
/// generic over such enums (the policy's knobs).
pub trait StableName: Sized + Copy + 'static {
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// Every name, in declaration order (`NAMES[i]` names `ALL[i]`).
    const NAMES: &'static [&'static str];

    /// The variant's stable name.
    fn as_str(self) -> &'static str;

    /// The variant called `name`, if any.
    fn from_name(name: &str) -> Option<Self>;
}

/// Declares an enum with a stable name per variant and generates, from that one declaration:
/// the enum (attributes, doc comments and derives as written), an array `ALL` of every variant in
/// declaration order, `as_str`, `from_name`, [`StableName`], `Display` (the name) and serde
/// `Serialize`/`Deserialize` as the name.
///
/// ```ignore
/// stable_names! {
///     /// Who sent something.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Peer {
///         Client = "client",
///         Server = "server",
///     }
/// }
/// ```
///
/// Variants carry no explicit discriminant, so `variant as usize` is its index in `ALL`.
macro_rules! stable_names {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $text:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $(
                $(#[$variant_meta])*
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The variant's stable name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The variant [`Self::as_str`] calls `name`, if any.
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::stable_names::StableName for $name {
            const ALL: &'static [$name] = &$name::ALL;
            const NAMES: &'static [&'static str] = &[$($text),+];

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }

            fn from_name(name: &str) -> Option<$name> {
                $name::from_name(name)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::stable_names::deserialize_by_name(deserializer)
            }
        }
    };
}

pub(crate) use stable_names;

/// Reads a string and looks it up with [`StableName::from_name`]; an unknown name is serde's
/// "unknown variant" error listing the names.
pub fn deserialize_by_name<'de, T: StableName, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct ByName<T>(std::marker::PhantomData<T>);

    impl<T: StableName> serde::de::Visitor<'_> for ByName<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "one of {}", T::NAMES.join(", "))
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            T::from_name(v).ok_or_else(|| E::unknown_variant(v, T::NAMES))
        }
    }

    deserializer.deserialize_str(ByName(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::StableName;

    stable_names! {
        /// A test enum with a name that is not its variant's spelling.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Colour {
            Red = "red",
            /// Documented variants keep their comments.
            DarkBlue = "dark-blue",
            Green = "green",
        }
    }

    #[test]
    fn all_lists_every_variant_in_declaration_order() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkBlue, Colour::Green]);
        for (i, c) in Colour::ALL.into_iter().enumerate() {
            assert_eq!(c as usize, i);
        }
        assert_eq!(<Colour as StableName>::NAMES, ["red", "dark-blue", "green"]);
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        assert_eq!(Colour::DarkBlue.as_str(), "dark-blue");
        assert_eq!(Colour::DarkBlue.to_string(), "dark-blue");
        assert_eq!(Colour::from_name("dark-blue"), Some(Colour::DarkBlue));
        assert_eq!(Colour::from_name("DarkBlue"), None);
        assert_eq!(Colour::from_name(""), None);
    }

    #[test]
    fn serde_uses_the_names() {
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark-blue\""
        );
        let read: Vec<Colour> = serde_json::from_str("[\"green\", \"red\"]").unwrap();
        assert_eq!(read, [Colour::Green, Colour::Red]);
        let err = serde_json::from_str::<Colour>("\"blue\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown variant `blue`, expected one of `red`, `dark-blue`, `green`"),
            "{err}"
        );
        let yaml: Colour = serde_saphyr::from_str("dark-blue").unwrap();
        assert_eq!(yaml, Colour::DarkBlue);
    }
}
