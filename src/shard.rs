//! `--shard K/N`: which targets a runner of a sharded scan takes.
//!
//! A target belongs to shard `hash(host:port) mod N`. Hashing (rather than cutting the
//! list into runs) keeps a target in the same shard when the list is reordered or
//! grows, so a CI matrix or a Kubernetes Indexed Job can be resized without every
//! target moving, and each target's records come from exactly one runner. The hash is
//! FNV-1a 64 over the lowercase `host:port` bytes: fixed here, independent of the
//! platform and of Rust's randomised `HashMap` hasher, so every runner agrees.

use std::fmt;
use std::str::FromStr;

/// The K-th (1-based) of N slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// Most shards a scan may be cut into; more would be a typo.
pub const MAX_SHARDS: u32 = 10_000;

impl Shard {
    /// The slice (0-based) a target falls into when the list is cut into `count`.
    pub fn slice_of(host: &str, port: u16, count: u32) -> u32 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let key = format!("{}:{port}", host.to_ascii_lowercase());
        for b in key.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (h % u64::from(count.max(1))) as u32
    }

    /// Whether this shard scans `host:port`.
    pub fn contains(self, host: &str, port: u16) -> bool {
        Self::slice_of(host, port, self.count) == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid shard '{s}' (expected K/N with 1 <= K <= N, e.g. 2/4)");
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        if count > MAX_SHARDS {
            return Err(format!("invalid shard '{s}': at most {MAX_SHARDS} shards"));
        }
        Ok(Self { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        for bad in [
            "0/4", "5/4", "1/0", "x/2", "2", "1/2/3", "-1/2", "", "1/10001",
        ] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_are_disjoint_and_cover() {
        let hosts: Vec<String> = (0..500).map(|i| format!("h{i}.example.com")).collect();
        for n in [1, 2, 3, 7] {
            let mut seen = vec![0u32; hosts.len()];
            for k in 1..=n {
                let shard = Shard { index: k, count: n };
                for (i, h) in hosts.iter().enumerate() {
                    seen[i] += u32::from(shard.contains(h, 443));
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "n={n}");
        }
        // Roughly even: no shard of 3 holds less than a fifth of 500 targets.
        for k in 1..=3 {
            let s = Shard { index: k, count: 3 };
            let n = hosts.iter().filter(|h| s.contains(h, 443)).count();
            assert!(n > 100, "shard {k}/3 has {n}");
        }
    }

    #[test]
    fn stable_and_case_insensitive() {
        // Fixed values: changing the hash would move every target between shards.
        assert_eq!(
            Shard::slice_of("login.microsoftonline.com", 443, 1000),
            Shard::slice_of("LOGIN.microsoftonline.com", 443, 1000)
        );
        assert_ne!(
            Shard::slice_of("a", 443, 1 << 30),
            Shard::slice_of("a", 444, 1 << 30)
        );
    }
}
