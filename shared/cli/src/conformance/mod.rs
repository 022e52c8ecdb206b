//! The conformance corpus (`shared/conformance`, see its README): loading the recorded cases,
//! comparing a program's outcome with a case's expectation, scoring a run and the baseline
//! ratchet.

// The `quickstep conformance` command wires this module in; until it does, much of it is unused
// by the binary.
#![allow(dead_code)]

mod case;
mod compare;
mod report;

// Unused by the binary until the CLI calls them (see the `allow(dead_code)` above).
#[allow(unused_imports)]
pub use case::{load_case, load_cases, Case, Expect, LoadError};
#[allow(unused_imports)]
pub use compare::{compare, Mismatch, Outcome};
#[allow(unused_imports)]
pub use report::{summarize, Baseline, Failure, Summary, Tally};

#[cfg(test)]
// Tests may unwrap: a panic is how they fail.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod corpus_tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeMap;
    use std::path::Path;

    const CASES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/cases"
    );

    /// The case's own expectation as a program outcome: output as-is, a JSON cause re-encoded.
    fn outcome_of(case: &Case) -> Outcome {
        let e = &case.expect;
        Outcome {
            status: e.status.clone(),
            output: e.output.clone(),
            error: e.error.clone(),
            cause: e.cause.as_ref().map(|c| match c {
                Value::String(s) => s.clone(),
                other => serde_json::to_string(other).unwrap(),
            }),
        }
    }

    #[test]
    fn real_corpus_loads_and_matches_itself() {
        let dir = Path::new(CASES);
        assert!(
            dir.is_dir(),
            "conformance corpus not found: looked in {}",
            dir.display()
        );
        let cases = load_cases(dir).unwrap();
        assert_eq!(cases.len(), 793);
        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &cases {
            *by_status.entry(c.expect.status.as_str()).or_default() += 1;
        }
        assert_eq!(
            by_status,
            BTreeMap::from([
                ("FAILED", 97),
                ("INVALID_DEFINITION", 15),
                ("SUCCEEDED", 681)
            ])
        );
        // Sorted by group then name.
        let keys: Vec<_> = cases.iter().map(|c| (&c.group, &c.name)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(
            cases
                .iter()
                .filter(|c| c.group == "choice_operators")
                .count(),
            338
        );

        let results: Vec<_> = cases
            .iter()
            .map(|c| (c, compare(c, &outcome_of(c))))
            .collect();
        let failures: Vec<String> = results
            .iter()
            .filter_map(|(c, r)| {
                r.as_ref()
                    .err()
                    .map(|m| format!("{}/{}: {m}", c.group, c.name))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        let summary = summarize(&results);
        assert_eq!(
            summary.all,
            Tally {
                passed: 793,
                total: 793
            }
        );
        // 793 cases minus those with the jsonata or assign feature.
        assert_eq!(
            summary.jsonpath,
            Tally {
                passed: 667,
                total: 667
            }
        );
        Baseline::from_json(&summary.baseline_json())
            .unwrap()
            .check(&summary)
            .unwrap();
    }

    #[test]
    fn real_corpus_rejects_a_wrong_outcome() {
        let cases = load_cases(Path::new(CASES)).unwrap();
        for c in &cases {
            let mut o = outcome_of(c);
            o.status = if c.expect.status == "SUCCEEDED" {
                "FAILED".into()
            } else {
                "SUCCEEDED".into()
            };
            assert!(compare(c, &o).is_err(), "{}", c.name);
            if c.expect.status == "SUCCEEDED" && !c.placeholders {
                let mut o = outcome_of(c);
                o.output = Some(serde_json::json!({"__quickstep_wrong__": true}));
                assert!(compare(c, &o).is_err(), "{}", c.name);
            }
        }
    }
}
