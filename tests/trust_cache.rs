//! The memoised trust stores give exactly the verdicts of stores that verify
//! everything every time, for good and bad chains alike, in any order, against public
//! and local roots — and a forged signature never borrows a genuine one's verdict.

mod support;

use support::TempDir;
use support::pki::{Ca, expired, self_signed};
use tlscompat::cert::summarize;
use tlscompat::target::Host;
use tlscompat::trust::{TrustError, TrustSettings, TrustStores, TrustVerdict};

/// Flips a bit in the last byte of a certificate: inside its signature value.
fn forge(der: &[u8]) -> Vec<u8> {
    let mut out = der.to_vec();
    if let Some(last) = out.last_mut() {
        *last ^= 0x01;
    }
    out
}

#[test]
fn cached_verdicts_equal_uncached_ones() {
    let public = Ca::new("Cache Public Root");
    let issuing = public.intermediate("Cache Issuing CA");
    let local = Ca::new("Cache Local Root");
    let stranger = Ca::new("Cache Stranger CA");
    let dir = TempDir::new("trust-cache");
    let (public_pem, local_pem) = (dir.0.join("public.pem"), dir.0.join("local.pem"));
    std::fs::write(&public_pem, &public.pem).expect("write");
    std::fs::write(&local_pem, &local.pem).expect("write");
    let settings = TrustSettings {
        roots: vec![public_pem],
        ca_files: vec![local_pem],
        system_store: false,
    };

    let good = issuing.leaf(&["a.test", "127.0.0.9"], |_| {});
    let old = issuing.leaf(&["a.test"], expired);
    let local_leaf = local.leaf(&["a.test"], |_| {});
    let unknown = stranger.leaf(&["a.test"], |_| {});
    let lone = self_signed(&["a.test"]);
    let name = Host::Name("a.test".into());
    let other = Host::Name("b.test".into());
    let ip = Host::Ip("127.0.0.9".parse().expect("ip"));
    let cases: Vec<(&str, Vec<Vec<u8>>, &Host)> = vec![
        ("good", vec![good.der.clone(), issuing.der.clone()], &name),
        (
            "good, other name",
            vec![good.der.clone(), issuing.der.clone()],
            &other,
        ),
        (
            "good, by IP",
            vec![good.der.clone(), issuing.der.clone()],
            &ip,
        ),
        (
            "forged leaf",
            vec![forge(&good.der), issuing.der.clone()],
            &name,
        ),
        (
            "forged issuing CA",
            vec![good.der.clone(), forge(&issuing.der)],
            &name,
        ),
        ("incomplete", vec![good.der.clone()], &name),
        ("expired", vec![old.der.clone(), issuing.der.clone()], &name),
        ("locally trusted", vec![local_leaf.der.clone()], &name),
        (
            "unknown issuer",
            vec![unknown.der.clone(), stranger.der.clone()],
            &name,
        ),
        ("self-signed", vec![lone.der.clone()], &name),
        ("empty", vec![], &name),
    ];
    let reference = TrustStores::without_cache(&settings).expect("stores");
    let expected: Vec<TrustVerdict> = cases
        .iter()
        .map(|(_, chain, host)| {
            let summaries: Vec<_> = chain.iter().filter_map(|c| summarize(c).ok()).collect();
            reference.verify(chain, &summaries, host)
        })
        .collect();
    // The reference itself tells the cases apart: the test would prove nothing if every
    // verdict were the same.
    assert!(expected[0].public.is_ok());
    assert_eq!(expected[3].public, Err(TrustError::BadSignature));
    assert_eq!(expected[4].public, Err(TrustError::BadSignature));
    assert!(matches!(expected[7].local, Some(Ok(()))));

    // Forward, backward, then forward again (all from the memo by then), each with a
    // fresh store too, so both memos are exercised cold and warm.
    let order: Vec<usize> = (0..cases.len())
        .chain((0..cases.len()).rev())
        .chain(0..cases.len())
        .collect();
    for stores in [
        TrustStores::new(&settings).expect("stores"),
        TrustStores::new(&settings).expect("stores"),
    ] {
        for &i in &order {
            let (label, chain, host) = &cases[i];
            let summaries: Vec<_> = chain.iter().filter_map(|c| summarize(c).ok()).collect();
            assert_eq!(
                stores.verify(chain, &summaries, host),
                expected[i],
                "{label}"
            );
        }
    }
}
