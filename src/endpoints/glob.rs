//! Issuer CN patterns: the glob dialect of `expected_issuers`.

/// Glob match with `*` (any run, including empty) and `?` (one character), ASCII
/// case-insensitive; used for expected issuer CN patterns. There is no escape: `*` and
/// `?` are always wildcards. Runs in O(pattern × text) at worst (it backtracks only to
/// the last `*`), so no pattern can make it slow.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // After a `*`: the pattern index after it, and the text index it has swallowed up to.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(&want) if want == '?' || want.eq_ignore_ascii_case(&c) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((after_star, swallowed)) => {
                    star = Some((after_star, swallowed + 1));
                    p = after_star;
                    t = swallowed + 1;
                }
                None => return false,
            },
        }
    }
    pattern.iter().skip(p).all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn glob_matches_issuer_patterns() {
        let azure = "Microsoft Azure RSA TLS Issuing CA ??";
        assert!(glob_match(azure, "Microsoft Azure RSA TLS Issuing CA 03"));
        assert!(glob_match(azure, "microsoft azure rsa tls issuing ca 07"));
        assert!(!glob_match(azure, "Microsoft Azure RSA TLS Issuing CA 3"));
        assert!(!glob_match(azure, "Microsoft Azure RSA TLS Issuing CA 003"));
        assert!(!glob_match(azure, "Zscaler Intermediate Root CA"));
        assert!(glob_match(
            "Microsoft ??? TLS Issuing AOC CA 0?",
            "Microsoft ECC TLS Issuing AOC CA 02"
        ));
        assert!(glob_match(
            "DigiCert Cloud Services CA-1",
            "DIGICERT CLOUD SERVICES CA-1"
        ));
        assert!(!glob_match(
            "DigiCert Cloud Services CA-1",
            "DigiCert Cloud Services CA-12"
        ));
    }

    #[test]
    fn glob_stars() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "anything at all"));
        assert!(glob_match("**", "x"));
        assert!(glob_match("a*", "a"));
        assert!(glob_match("*a", "bba"));
        assert!(glob_match("a*b*c", "a-b-b-c"));
        assert!(glob_match("*CA*", "Some CA 1"));
        assert!(!glob_match("a*b", "a-b-c"));
        assert!(!glob_match("*b", "bbba"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "a"));
    }

    #[test]
    fn glob_question_marks() {
        assert!(!glob_match("?", ""));
        assert!(glob_match("?", "x"));
        assert!(!glob_match("?", "xy"));
        assert!(glob_match("?", "é")); // one character, not one byte
        assert!(glob_match("??", "éé"));
        assert!(glob_match("?*", "x"));
        assert!(!glob_match("?*", ""));
        assert!(glob_match("*?", "xyz"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(!glob_match("É", "é")); // ASCII case folding only
    }

    #[test]
    fn glob_pathological_patterns_are_fast() {
        let text = "a".repeat(100_000);
        let start = Instant::now();
        assert!(!glob_match("*a*a*a*a*a*b", &text));
        assert!(!glob_match("*aaaaaaaaaaaaaaaaaaab", &text));
        assert!(glob_match("*a*a*a*a*a*a", &text));
        assert!(!glob_match(&"*a".repeat(50).replace("*a*a", "*?*b"), &text));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    /// Obviously correct, exponential: the reference for the proptest.
    fn glob_reference(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, _) => t.is_empty(),
            (Some('*'), _) => {
                glob_reference(&p[1..], t) || (!t.is_empty() && glob_reference(p, &t[1..]))
            }
            (Some(_), None) => false,
            (Some(&c), Some(&d)) => {
                (c == '?' || c.eq_ignore_ascii_case(&d)) && glob_reference(&p[1..], &t[1..])
            }
        }
    }

    proptest! {
        #[test]
        fn glob_never_panics(pattern in any::<String>(), text in any::<String>()) {
            let _ = glob_match(&pattern, &text);
        }

        #[test]
        fn glob_agrees_with_reference(pattern in "[ab*?]{0,8}", text in "[abAB]{0,10}") {
            let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
            prop_assert_eq!(glob_match(&pattern, &text), glob_reference(&p, &t));
        }

        #[test]
        fn literal_patterns_match_themselves(text in "[ -)+->@-~]{0,30}") {
            prop_assert!(glob_match(&text, &text));
            prop_assert!(glob_match(&text, &text.to_ascii_uppercase()));
            let star = format!("*{text}*");
            let wrapped = format!("x{text}y");
            prop_assert!(glob_match(&star, &wrapped));
        }
    }
}
