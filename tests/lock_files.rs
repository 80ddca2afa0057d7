//! The fuzz crate has its own `fuzz/Cargo.lock`, and `.ci/run` builds it with `--locked`.
//! When a dependency is added to the main crate and only `Cargo.lock` is refreshed, that
//! build fails minutes into CI (it did once, after `memchr` was added). This test reads both
//! files and fails at once instead.

use std::collections::BTreeSet;

/// The package names listed in `[dependencies]` of a Cargo manifest.
fn manifest_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside
            && !line.is_empty()
            && !line.starts_with('#')
            && let Some((name, _)) = line.split_once('=')
        {
            names.insert(name.trim().to_string());
        }
    }
    names
}

/// The dependency names (without version suffixes) a lock file records for `package`.
fn locked_dependencies(lock: &str, package: &str) -> Option<BTreeSet<String>> {
    let header = format!("name = \"{package}\"\n");
    let start = lock.find(&header)?;
    let entry = &lock[start..];
    let entry = &entry[..entry.find("\n\n").unwrap_or(entry.len())];
    let list = entry.split_once("dependencies = [")?.1;
    let list = &list[..list.find(']')?];
    Some(
        list.lines()
            .filter_map(|line| {
                let quoted = line.trim().trim_end_matches(',').trim_matches('"');
                let name = quoted.split(' ').next()?;
                (!name.is_empty()).then(|| name.to_string())
            })
            .collect(),
    )
}

fn read(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn fuzz_lock_file_lists_every_dependency_of_the_crate() {
    let wanted = manifest_dependencies(&read("Cargo.toml"));
    assert!(
        wanted.contains("clap"),
        "the manifest parser found {wanted:?}"
    );
    for (lock_name, lock) in [
        ("Cargo.lock", read("Cargo.lock")),
        ("fuzz/Cargo.lock", read("fuzz/Cargo.lock")),
    ] {
        let locked = locked_dependencies(&lock, "pcapscrub")
            .unwrap_or_else(|| panic!("{lock_name} has no entry for pcapscrub"));
        let missing: Vec<_> = wanted.difference(&locked).collect();
        assert!(
            missing.is_empty(),
            "{lock_name} lacks {missing:?}: run `cargo update -p pcapscrub` in the folder that holds it"
        );
    }
}
