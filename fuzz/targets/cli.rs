//! Target `cli`: the command line. Input: arguments separated by NULs, parsed by clap as
//! `tlscompat ARGS…` and then by the checks a command runs before anything else; and
//! each argument through every value parser on its own.
//!
//! Oracles: no panic; accepted values are in range (a target's port 1-65535 and its
//! display reads back as the same target, a timeout of 1 ms to 1 h, a resolver port
//! above 0, a shard 1 <= K <= N <= 10,000, no finding twice in a `--fail-on` list,
//! client profiles listed once); errors hold nothing raw once escaped for stderr.

use std::cell::RefCell;

use clap::{CommandFactory, FromArgMatches};
use tlscompat::checks::profiles::parse_list;
use tlscompat::cli::{Cli, Command, parse_duration, parse_fail_on};
use tlscompat::resolve::parse_nameserver;
use tlscompat::shard::{MAX_SHARDS, Shard};
use tlscompat::target::{Host, Target};
use tlscompat::version::TlsVersion;

use super::oracle::{fail, lossy};

thread_local! {
    static COMMAND: RefCell<clap::Command> = RefCell::new(Cli::command());
}

pub fn run(data: &[u8]) {
    let text = lossy(data);
    let args: Vec<&str> = text.split('\0').collect();
    if let Err(e) = check(&args) {
        fail("cli", e);
    }
}

pub fn check(args: &[&str]) -> Result<(), String> {
    for a in args.iter().take(16) {
        values(a)?;
    }
    let argv = std::iter::once("tlscompat").chain(args.iter().copied());
    // One clap command, built once and reused (building it is most of an execution's
    // time): `try_get_matches_from_mut` parses as `Cli::try_parse_from` does.
    let parsed = COMMAND.with(|c| {
        let matches = c.borrow_mut().try_get_matches_from_mut(argv)?;
        Cli::from_arg_matches(&matches)
    });
    match parsed.map(|c| c.command) {
        Ok(Command::Scan(s)) => {
            let _ = s.probe_settings();
            let _ = s.fail_on();
            let _ = s.check_options(&[]);
            let _ = s.parsed_targets();
            let _ = s.resolve_settings();
            let _ = s.trust_settings();
            let _ = s.input_files();
            let _ = s.proxy_settings();
        }
        Ok(Command::Merge(m)) => {
            let _ = m.fail_on.as_deref().map(parse_fail_on);
        }
        _ => {}
    }
    Ok(())
}

/// One value through every parser of the command line.
fn values(a: &str) -> Result<(), String> {
    if let Ok(t) = a.parse::<Target>() {
        let back = t.to_string().parse::<Target>();
        if t.port == 0 || back.as_ref() != Ok(&t) {
            return Err(format!("target {a:?} -> {t} -> {back:?}"));
        }
    }
    if let Ok(d) = parse_duration(a)
        && !(std::time::Duration::from_millis(1)..=std::time::Duration::from_secs(3600))
            .contains(&d)
    {
        return Err(format!("duration {a:?} -> {d:?}"));
    }
    if let Ok(ns) = parse_nameserver(a)
        && ns.port() == 0
    {
        return Err(format!("resolver {a:?} -> {ns}"));
    }
    if let Ok(s) = a.parse::<Shard>()
        && !(1 <= s.index && s.index <= s.count && s.count <= MAX_SHARDS)
    {
        return Err(format!("shard {a:?} -> {s}"));
    }
    if let Ok(list) = parse_fail_on(a) {
        let mut seen = list.clone();
        seen.dedup();
        if seen.len() != list.len() || (a.split(',').any(|p| p.trim() == "none") && a.contains(',')) {
            return Err(format!("fail-on {a:?} -> {list:?}"));
        }
    }
    if let Ok(list) = parse_list(a) {
        let mut names: Vec<_> = list.iter().map(|p| p.name.clone()).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        if n != names.len() || n == 0 {
            return Err(format!("clients {a:?} -> {n} profiles"));
        }
    }
    if let Ok(spec) = tlscompat::capture::parse_spec(a)
        && (spec.name.is_empty() || spec.name.len() > 32 || spec.index == Some(0))
    {
        return Err(format!("client hello {a:?} -> {spec:?}"));
    }
    let _ = a.parse::<TlsVersion>();
    let _ = Host::parse(a);
    Ok(())
}
