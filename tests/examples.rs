//! The CI examples in examples/ are parsed and their commands run, as the CI system
//! would run them, against the in-process lab: a GitHub Actions matrix, a GitLab
//! parallel job, a Kubernetes Indexed Job. Only the install steps and the `uses:`
//! actions (checkout, artifacts, cache) are left out; artifacts are emulated by running
//! every job in one directory. A `tlscompat` wrapper first on PATH adds the lab's flags
//! (`--endpoints`, `--resolver`, `--roots`, `--timeout`) to `scan`.

mod support;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::dns::{Zone, dns_server};
use support::*;
use yaml_rust2::{Yaml, YamlLoader};

fn example(name: &str) -> Vec<Yaml> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A lab directory with a `bin/tlscompat` wrapper that points scans at the lab.
struct Site {
    dir: TempDir,
    path_env: String,
}

/// Six lab hosts: all modern and trusted, so a clean run exits 0; with `broken`, one
/// more host on a closed port makes the merged run fail.
fn lab_site(tag: &str, broken: bool) -> Site {
    let both = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]).port();
    let tls13 = rustls_server(&[&rustls::version::TLS13]).port();
    let mut zone = Zone::new();
    let mut toml = String::from("[defaults]\nexpected_issuers = [\"tlscompat Lab CA\"]\n\n");
    let mut hosts: Vec<(String, u16)> = (0..3)
        .map(|i| (format!("both-{i}.lab.test"), both))
        .collect();
    hosts.extend((0..3).map(|i| (format!("t13-{i}.lab.test"), tls13)));
    if broken {
        hosts.push(("closed.lab.test".into(), closed_port().port()));
    }
    for (h, p) in &hosts {
        zone = zone.a(h, Ipv4Addr::LOCALHOST);
        toml.push_str(&format!(
            "[[endpoint]]\nhost = \"{h}\"\nport = {p}\npurpose = \"lab\"\nsources = [\"lab\"]\n\
             category = \"allow\"\ninspection = \"bypass\"\nlegacy_tls = \"unknown\"\n\n"
        ));
    }
    let dir = TempDir::new(tag);
    let endpoints = dir.0.join("lab-endpoints.toml");
    std::fs::write(&endpoints, toml).unwrap();
    let bin = dir.0.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("tlscompat");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$1\" = scan ]; then shift; exec '{}' scan --endpoints '{}' --resolver {} --roots '{}' --timeout 500ms \"$@\"; fi\nexec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_tlscompat"),
            endpoints.display(),
            dns_server(zone),
            lab_ca_file(),
            env!("CARGO_BIN_EXE_tlscompat"),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path_env = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::fs::create_dir_all(dir.0.join("work")).unwrap();
    Site { dir, path_env }
}

impl Site {
    fn work(&self) -> PathBuf {
        self.dir.0.join("work")
    }

    /// Runs a script the way the CI system would (`shell` -c), in the work directory.
    fn run(
        &self,
        shell: &[&str],
        script: &str,
        env: &BTreeMap<String, String>,
    ) -> std::process::Output {
        assert!(
            !script.contains("${{"),
            "an expression the test does not evaluate: {script}"
        );
        Command::new(shell[0])
            .args(&shell[1..])
            .arg(script)
            .current_dir(self.work())
            .env("PATH", &self.path_env)
            .envs(env)
            .output()
            .expect("run script")
    }

    fn report(&self, name: &str) -> Value {
        let p = self.work().join(name);
        serde_json::from_str(
            &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        )
        .unwrap()
    }

    fn check_reports(&self, dir: &Path) {
        let html = std::fs::read_to_string(dir.join("report.html")).expect("HTML report");
        assert!(html.contains("both-0.lab.test"));
        let junit = std::fs::read_to_string(dir.join("report.xml")).expect("JUnit report");
        assert!(
            junit.contains("<testsuite name=\"tlscompat scan\" tests=\"6\""),
            "{junit}"
        );
        assert!(dir.join("report.csv").exists());
    }
}

fn env_map(y: &Yaml) -> BTreeMap<String, String> {
    y.as_hash()
        .map(|h| {
            h.iter()
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| v.as_i64().map(|n| n.to_string()));
                    (
                        k.as_str().unwrap_or_default().to_string(),
                        v.unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ok(o: &std::process::Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs one GitHub job's `run:` steps (install steps and `uses:` actions left out) with
/// `${{ matrix.shard }}` set to `shard`. Returns the first failing step's output.
fn github_job(
    site: &Site,
    doc: &Yaml,
    job: &str,
    shard: Option<i64>,
) -> Result<(), std::process::Output> {
    let steps = doc["jobs"][job]["steps"].as_vec().expect("steps");
    let mut ran = 0;
    for step in steps {
        let (Some(script), name) = (step["run"].as_str(), step["name"].as_str().unwrap_or(""))
        else {
            continue;
        };
        if name == "Install tlscompat" {
            continue;
        }
        let mut env = env_map(&doc["env"]);
        for (k, v) in env_map(&step["env"]) {
            let v = match shard {
                Some(s) => v.replace("${{ matrix.shard }}", &s.to_string()),
                None => v,
            };
            env.insert(k, v);
        }
        let out = site.run(&["bash", "-e", "-c"], script, &env);
        if !out.status.success() {
            return Err(out);
        }
        ran += 1;
    }
    assert!(ran > 0, "no step of {job} ran");
    Ok(())
}

fn github_pipeline(site: &Site, doc: &Yaml) -> Result<(), std::process::Output> {
    let shards = doc["jobs"]["scan"]["strategy"]["matrix"]["shard"]
        .as_vec()
        .expect("matrix");
    let count: i64 = env_map(&doc["env"])["SHARDS"].parse().expect("SHARDS");
    assert_eq!(shards.len() as i64, count, "matrix and SHARDS agree");
    for s in shards {
        github_job(site, doc, "scan", s.as_i64())
            .map_err(|o| panic!("shard {s:?}: {}", String::from_utf8_lossy(&o.stderr)))?;
    }
    github_job(site, doc, "merge", None)
}

#[test]
fn github_actions_matrix_shards_merges_and_publishes() {
    let docs = example("github-actions.yml");
    let doc = &docs[0];
    assert_eq!(doc["jobs"]["merge"]["needs"].as_str(), Some("scan"));
    let uses: Vec<&str> = doc["jobs"]["merge"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("actions/upload-artifact")),
        "HTML published as an artifact"
    );
    assert!(uses.iter().any(|u| u.contains("junit")), "JUnit published");

    let site = lab_site("gha", false);
    github_pipeline(&site, doc)
        .unwrap_or_else(|o| panic!("merge: {}", String::from_utf8_lossy(&o.stderr)));
    site.check_reports(&site.work());
    let first = site.report("report.json");
    assert_eq!(first["records"].as_array().unwrap().len(), 6);
    assert!(
        first["summary"]["baseline"].is_null(),
        "no baseline on the first run"
    );
    // The second run compares with the first, kept as the baseline by the merge job.
    github_pipeline(&site, doc)
        .unwrap_or_else(|o| panic!("second run: {}", String::from_utf8_lossy(&o.stderr)));
    let second = site.report("report.json");
    let b = &second["summary"]["baseline"];
    assert_eq!(b["drifted"], 0, "{b}");
    // Each shard expected only its own targets of the baseline: nothing "disappeared".
    assert_eq!(b["disappeared"], serde_json::json!([]), "{b}");
    assert_eq!(b["appeared"], serde_json::json!([]), "{b}");

    // With a failing host the merge step fails the workflow, and the reports are there.
    let broken = lab_site("gha-broken", true);
    let out = github_pipeline(&broken, doc).expect_err("findings fail the merge step");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(broken.work().join("report.html"))
            .unwrap()
            .contains("closed.lab.test")
    );
}

#[test]
fn gitlab_parallel_jobs_shard_merge_and_publish() {
    let docs = example("gitlab-ci.yml");
    let doc = &docs[0];
    let scan = &doc["tlscompat-scan"];
    let report = &doc["tlscompat-report"];
    assert_eq!(
        report["artifacts"]["reports"]["junit"].as_str(),
        Some("report.xml")
    );
    assert!(
        report["artifacts"]["paths"]
            .as_vec()
            .unwrap()
            .iter()
            .any(|p| p.as_str() == Some("report.html"))
    );
    let total = scan["parallel"].as_i64().expect("parallel");
    let site = lab_site("gitlab", false);
    let lines = |job: &Yaml, key: &str| -> String {
        job[key]
            .as_vec()
            .map(|v| {
                v.iter()
                    .filter_map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    for i in 1..=total {
        let env = BTreeMap::from([
            ("CI_NODE_INDEX".to_string(), i.to_string()),
            ("CI_NODE_TOTAL".to_string(), total.to_string()),
        ]);
        ok(
            &site.run(&["bash", "-e", "-c"], &lines(scan, "script"), &env),
            &format!("node {i}"),
        );
    }
    ok(
        &site.run(
            &["bash", "-e", "-c"],
            &lines(report, "script"),
            &BTreeMap::new(),
        ),
        "report job",
    );
    ok(
        &site.run(
            &["bash", "-e", "-c"],
            &lines(report, "after_script"),
            &BTreeMap::new(),
        ),
        "after_script",
    );
    site.check_reports(&site.work());
    assert!(site.work().join("baseline/report.json").exists());
}

#[test]
fn kubernetes_indexed_job_shards_and_merge_job_merges() {
    let docs = example("k8s-indexed-job.yaml");
    let kind = |d: &Yaml, k: &str| d["kind"].as_str() == Some(k);
    assert!(docs.iter().any(|d| kind(d, "PersistentVolumeClaim")));
    let scan = docs
        .iter()
        .find(|d| kind(d, "Job") && d["spec"]["completionMode"].as_str() == Some("Indexed"))
        .expect("Indexed Job");
    let merge = docs
        .iter()
        .find(|d| kind(d, "Job") && d["metadata"]["name"].as_str() == Some("tlscompat-merge"))
        .expect("merge Job");
    let completions = scan["spec"]["completions"].as_i64().expect("completions");
    let site = lab_site("k8s", false);
    let reports = site.work();
    // The shared volume, mounted at /reports in every pod.
    let container = |pod: &Yaml, list: &str| -> (String, BTreeMap<String, String>) {
        let c = &pod[list][0];
        assert_eq!(c["volumeMounts"][0]["mountPath"].as_str(), Some("/reports"));
        let env = c["env"]
            .as_vec()
            .map(|v| {
                v.iter()
                    .map(|e| {
                        (
                            e["name"].as_str().unwrap().to_string(),
                            e["value"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let script = c["args"][0]
            .as_str()
            .expect("script")
            .replace("/reports", reports.to_str().unwrap());
        assert_eq!(c["command"].as_vec().unwrap()[0].as_str(), Some("/bin/sh"));
        (script, env)
    };
    let (script, env) = container(&scan["spec"]["template"]["spec"], "containers");
    assert_eq!(
        env["SHARDS"],
        completions.to_string(),
        "SHARDS matches completions"
    );
    for index in 0..completions {
        let mut env = env.clone();
        env.insert("JOB_COMPLETION_INDEX".into(), index.to_string());
        ok(
            &site.run(&["sh", "-c"], &script, &env),
            &format!("pod {index}"),
        );
    }
    let pod = &merge["spec"]["template"]["spec"];
    let (wait, env) = container(pod, "initContainers");
    ok(
        &site.run(&["timeout", "20", "sh", "-c"], &wait, &env),
        "wait-for-shards",
    );
    let (script, env) = container(pod, "containers");
    ok(&site.run(&["sh", "-c"], &script, &env), "merge");
    site.check_reports(&reports);
    assert!(reports.join("baseline.json").exists());
    // The next scan compares with it.
    let mut env0 = container(&scan["spec"]["template"]["spec"], "containers").1;
    env0.insert("JOB_COMPLETION_INDEX".into(), "0".into());
    ok(
        &site.run(
            &["sh", "-c"],
            &container(&scan["spec"]["template"]["spec"], "containers").0,
            &env0,
        ),
        "rescan",
    );
    let shard1 = site.report("shards/shard-1.json");
    assert_eq!(
        shard1["options"]["baseline"],
        Value::String(reports.join("baseline.json").display().to_string())
    );
}
