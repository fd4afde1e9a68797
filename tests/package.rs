//! What the Debian package ships besides the binary: the man page and the completion
//! scripts the binary generates (`tlscompat man`, `tlscompat completions SHELL`), kept
//! under `pkg/` so `cargo deb` needs no build step of its own. A packaged file that
//! differs from what the binary generates now is stale: these tests fail, and
//! `TLSCOMPAT_BLESS=1 cargo test --test package` rewrites them.
//!
//! Installing the package for real (`dpkg -i`, a scan by `/usr/bin/tlscompat`, `dpkg -r`)
//! is `.ci/run`'s job: it needs root and a release build.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::cli::{text, tlscompat};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The generated files the package ships: (arguments that generate it, path under the
/// repository).
const GENERATED: [(&[&str], &str); 4] = [
    (&["man"], "pkg/tlscompat.1"),
    (&["completions", "bash"], "pkg/completions/tlscompat.bash"),
    (&["completions", "zsh"], "pkg/completions/_tlscompat"),
    (&["completions", "fish"], "pkg/completions/tlscompat.fish"),
];

#[test]
fn packaged_generated_files_are_current() {
    let bless = std::env::var_os("TLSCOMPAT_BLESS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (args, rel) in GENERATED {
        let out = tlscompat(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
        let path = repo(rel);
        if bless {
            std::fs::write(&path, &out.stdout).expect("write the packaged file");
            continue;
        }
        if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            stale.push(format!("{rel} (tlscompat {})", args.join(" ")));
        }
    }
    assert!(
        stale.is_empty(),
        "stale packaged files, regenerate with `TLSCOMPAT_BLESS=1 cargo test --test package`: {}",
        stale.join(", ")
    );
}

/// Every file `[package.metadata.deb].assets` names exists (the binary apart, which
/// `cargo deb` builds), and the man page and completions go where Debian looks for them.
#[test]
fn deb_assets_exist_and_go_to_the_standard_places() {
    let manifest: toml::Table = std::fs::read_to_string(repo("Cargo.toml"))
        .expect("Cargo.toml")
        .parse()
        .expect("Cargo.toml parses");
    let deb = &manifest["package"]["metadata"]["deb"];
    let assets = deb["assets"].as_array().expect("assets");
    let mut targets = Vec::new();
    for a in assets {
        let a = a.as_array().expect("asset triple");
        let (src, dest) = (a[0].as_str().unwrap(), a[1].as_str().unwrap());
        if !src.starts_with("target/") {
            assert!(repo(src).is_file(), "asset {src} is missing");
        }
        targets.push(dest.to_string());
    }
    for want in [
        "usr/bin/",
        "usr/share/man/man1/tlscompat.1",
        "usr/share/bash-completion/completions/tlscompat",
        "usr/share/zsh/vendor-completions/_tlscompat",
        "usr/share/fish/vendor_completions.d/tlscompat.fish",
    ] {
        assert!(targets.iter().any(|t| t == want), "no asset goes to {want}");
    }
    assert_eq!(
        manifest["package"]["license"].as_str(),
        Some("MIT OR Apache-2.0")
    );
    for (_, rel) in GENERATED {
        assert!(
            assets.iter().any(|a| a[0].as_str() == Some(rel)),
            "{rel} is generated but not packaged"
        );
    }
}

#[test]
fn man_page_is_roff_with_every_subcommand_and_the_exit_codes() {
    let out = tlscompat(&["man"]);
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(page.starts_with(".TH TLSCOMPAT 1 "), "{}", &page[..80]);
    for section in [
        ".SH \"TLSCOMPAT SCAN\"",
        ".SH \"TLSCOMPAT MERGE\"",
        ".SH \"TLSCOMPAT ENDPOINTS IMPORT\"",
        ".SH \"TLSCOMPAT COMPLETIONS\"",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    // Flags come from the CLI definition, with roff's escaped hyphens.
    assert!(page.contains(r"\fB\-\-fail\-on\fR"));
    assert!(page.contains(r"\fB\-\-client\-hello\fR") || page.contains(r"\fB\-\-clients\fR"));
    // groff renders it without a warning, when it is there (man-db pulls it in).
    let Ok(groff) = Command::new("groff")
        .args(["-man", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("SKIPPED the groff check: groff is not installed");
        return;
    };
    let mut groff = groff;
    use std::io::Write;
    groff
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("write to groff");
    let done = groff.wait_with_output().expect("groff");
    assert!(done.status.success());
    assert_eq!(text(&done.stderr), "", "groff warnings");
}

/// The bash script parses, registers for `tlscompat`, and completes subcommands, flags
/// and the shells of `completions` — run in a real bash the way readline calls it.
#[test]
fn bash_completion_completes_subcommands_and_flags() {
    let script = repo("pkg/completions/tlscompat.bash");
    let check = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(check.status.success(), "{}", text(&check.stderr));
    let probe = r#"
source "$1"
complete -p tlscompat
reply() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=()
          _tlscompat tlscompat "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; echo "${COMPREPLY[*]}"; }
reply tlscompat sc
reply tlscompat scan --fail
reply tlscompat completions ""
"#;
    let out = Command::new("bash")
        .args(["-c", probe, "probe"])
        .arg(&script)
        .output()
        .expect("bash");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert!(lines[0].contains("-F _tlscompat tlscompat"), "{lines:?}");
    assert_eq!(lines[1], "scan");
    assert_eq!(lines[2], "--fail-on");
    for shell in ["bash", "elvish", "fish", "powershell", "zsh"] {
        assert!(lines[3].split(' ').any(|w| w == shell), "{lines:?}");
    }
}

#[test]
fn every_shell_has_a_script_and_others_are_refused() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = tlscompat(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("tlscompat"), "{shell}");
    }
    let out = tlscompat(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("possible values: bash"));
}
