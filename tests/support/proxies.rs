//! Real proxies the way enterprises run them, started by the tests on loopback: Squid
//! (Basic through `basic_ncsa_auth`, NTLM through `ntlm_fake_auth`, Negotiate through
//! `negotiate_kerberos_auth`, ACLs that refuse or redirect), Dante for SOCKS5, and an
//! MIT KDC for the Kerberos realm behind Negotiate. Each runs from its own config in a
//! temp dir, on an ephemeral port, and is killed on drop.
//!
//! Each returns `None` when its program is not installed, after printing why loudly
//! (`.ci/run` installs them; a skip must never hide on CI).

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TempDir;

/// Prints a skip loudly and returns `None`.
pub fn skip<T>(what: &str) -> Option<T> {
    eprintln!("\n*** SKIPPED: {what} ***\n");
    None
}

fn installed(program: &str) -> bool {
    Path::new(program).exists()
        || Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// A port free right now on 127.0.0.1 (Squid, Dante and the KDC cannot be given 0).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Waits until `addr` takes connections, or `child` dies, or 10 s pass.
fn wait_for(addr: SocketAddr, child: &mut Child, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{what} exited ({status}) before listening on {addr}:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on {addr} within 10 s");
}

/// A process killed (and reaped) on drop, with its directory.
pub struct Daemon {
    pub addr: SocketAddr,
    pub dir: TempDir,
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p
}

/// A directory the daemons' unprivileged users (`proxy`, `nobody`) can use.
fn open_dir(tag: &str) -> TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new(tag);
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    dir
}

/// How a Squid authenticates and what its ACLs refuse.
pub struct SquidConfig<'a> {
    /// `auth_param` lines (`basic program …`); the helpers run as user `proxy`.
    pub auth: Vec<String>,
    /// Names Squid resolves itself (its `hosts_file`).
    pub hosts: &'a [(&'a str, &'a str)],
    /// A host refused with 403.
    pub deny: Option<&'a str>,
    /// A host redirected (deny_info) to this URL: (host, URL).
    pub redirect: Option<(&'a str, &'a str)>,
    /// Environment for Squid and its helpers (KRB5_KTNAME, …).
    pub env: Vec<(String, String)>,
}

/// Starts Squid: `squid -N` (no daemon) with its own config, run as root and dropping
/// to `proxy` (Debian's `cache_effective_user`).
pub fn squid(config: &SquidConfig<'_>) -> Option<Daemon> {
    if !installed("squid") {
        return skip(
            "squid is not installed (apt-get install squid): the Squid proxy tests did not run",
        );
    }
    let dir = open_dir("squid");
    let port = free_port();
    let d = dir.0.display();
    let hosts: String = config
        .hosts
        .iter()
        .map(|(name, ip)| format!("{ip} {name}\n"))
        .collect();
    write(&dir.0, "hosts", &hosts);
    let mut conf = format!(
        "http_port 127.0.0.1:{port}\npid_filename {d}/squid.pid\ncache deny all\n\
         cache_mem 1 MB\naccess_log stdio:{d}/access.log\ncache_log {d}/cache.log\n\
         cache_store_log none\ncoredump_dir {d}\npinger_enable off\n\
         cache_effective_user proxy\nhosts_file {d}/hosts\nshutdown_lifetime 0 seconds\n\
         visible_hostname tlscompat-lab\n"
    );
    for line in &config.auth {
        conf.push_str(&format!("auth_param {line}\n"));
    }
    if let Some(host) = config.deny {
        conf.push_str(&format!(
            "acl denied dstdomain {host}\nhttp_access deny denied\n"
        ));
    }
    if let Some((host, url)) = config.redirect {
        conf.push_str(&format!(
            "acl portal dstdomain {host}\ndeny_info {url} portal\nhttp_access deny portal\n"
        ));
    }
    if config.auth.is_empty() {
        conf.push_str("http_access allow all\n");
    } else {
        conf.push_str(
            "acl authed proxy_auth REQUIRED\nhttp_access allow authed\nhttp_access deny all\n",
        );
    }
    let path = write(&dir.0, "squid.conf", &conf);
    let mut child = Command::new("squid")
        .arg("-N")
        .arg("-f")
        .arg(&path)
        .envs(config.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.0.join("stderr.log")).expect("log"))
        .spawn()
        .expect("start squid");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_for(addr, &mut child, "squid", &dir.0.join("stderr.log"));
    Some(Daemon { addr, dir, child })
}

impl Daemon {
    /// Squid's access log (who went where, as which user).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("access.log")).unwrap_or_default()
    }
}

/// An htpasswd file for `basic_ncsa_auth` (APR1 hash made by `openssl passwd`).
pub fn htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
    let out = Command::new("openssl")
        .args(["passwd", "-apr1", password])
        .output()
        .expect("openssl passwd");
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    write(dir, "htpasswd", &format!("{user}:{hash}\n"))
}

/// Starts Dante (`danted`) for SOCKS5 on 127.0.0.1: `method` is `none` or `username`
/// (system users, checked against /etc/shadow as root).
pub fn dante(method: &str) -> Option<Daemon> {
    if !installed("danted") {
        return skip(
            "danted is not installed (apt-get install dante-server): the SOCKS5 tests did not run",
        );
    }
    let dir = open_dir("dante");
    let port = free_port();
    let d = dir.0.display();
    let conf = format!(
        "logoutput: {d}/danted.log\ninternal: 127.0.0.1 port = {port}\nexternal: 127.0.0.1\n\
         clientmethod: none\nsocksmethod: {method}\nuser.privileged: root\n\
         user.unprivileged: nobody\nclient pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n\
         socks pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n"
    );
    let path = write(&dir.0, "danted.conf", &conf);
    let mut child = Command::new("danted")
        .arg("-f")
        .arg(&path)
        .arg("-p")
        .arg(dir.0.join("danted.pid"))
        .args(["-N", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start danted");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_for(addr, &mut child, "danted", &dir.0.join("danted.log"));
    Some(Daemon { addr, dir, child })
}

/// A throwaway system user with a password, for Dante's `username` method (it checks
/// the system's password database; there is no file of its own). Removed on drop.
pub struct SystemUser {
    pub name: String,
}

impl SystemUser {
    pub fn new(password: &str) -> Option<Self> {
        if !installed("useradd") || !installed("chpasswd") {
            return skip("useradd/chpasswd missing: the SOCKS5 user/password test did not run");
        }
        let name = format!("tlsc{}", std::process::id());
        let made = Command::new("useradd")
            .args(["-M", "-N", "-s", "/usr/sbin/nologin", &name])
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            return skip(
                "cannot create a system user (not root?): the SOCKS5 user/password test did not run",
            );
        }
        let user = Self { name };
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .expect("chpasswd");
        let line = format!("{}:{password}\n", user.name);
        chpasswd
            .stdin
            .take()
            .expect("stdin")
            .write_all(line.as_bytes())
            .expect("write");
        assert!(chpasswd.wait().expect("chpasswd").success(), "chpasswd");
        Some(user)
    }
}

impl Drop for SystemUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}

/// An MIT Kerberos realm `LAB.TEST` with its KDC on loopback: a client principal
/// `scanner` (keytab `client.keytab`) and a service `HTTP/localhost` (keytab
/// `http.keytab`), and a `krb5.conf` for both sides.
pub struct Realm {
    pub kdc: Daemon,
    pub krb5_conf: PathBuf,
    pub http_keytab: PathBuf,
    pub client_keytab: PathBuf,
}

pub const REALM: &str = "LAB.TEST";

pub fn realm() -> Option<Realm> {
    for program in ["krb5kdc", "kdb5_util", "kadmin.local", "kinit"] {
        if !installed(program) {
            return skip(&format!(
                "{program} is not installed (apt-get install krb5-kdc krb5-admin-server krb5-user): \
                 the Negotiate tests did not run"
            ));
        }
    }
    let dir = open_dir("kdc");
    let port = free_port();
    let d = dir.0.display();
    let krb5_conf = write(
        &dir.0,
        "krb5.conf",
        &format!(
            "[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n \
             dns_lookup_realm = false\n rdns = false\n dns_canonicalize_hostname = false\n \
             udp_preference_limit = 1\n[realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{port}\n }}\n\
             [domain_realm]\n localhost = {REALM}\n"
        ),
    );
    let kdc_conf = write(
        &dir.0,
        "kdc.conf",
        &format!(
            "[kdcdefaults]\n kdc_listen = 127.0.0.1:{port}\n kdc_tcp_listen = 127.0.0.1:{port}\n\
             [realms]\n {REALM} = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n\
               acl_file = {d}/kadm5.acl\n }}\n[logging]\n kdc = FILE:{d}/kdc.log\n"
        ),
    );
    let env = [("KRB5_CONFIG", &krb5_conf), ("KRB5_KDC_PROFILE", &kdc_conf)];
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
            .stdin(Stdio::null())
            .output()
            .expect(program);
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        "kdb5_util",
        &["create", "-s", "-r", REALM, "-P", "lab-master-key"],
    );
    let http_keytab = dir.0.join("http.keytab");
    let client_keytab = dir.0.join("client.keytab");
    for q in [
        "addprinc -randkey scanner".to_string(),
        "addprinc -randkey HTTP/localhost".to_string(),
        format!("ktadd -k {} HTTP/localhost", http_keytab.display()),
        format!("ktadd -k {} scanner", client_keytab.display()),
    ] {
        run("kadmin.local", &["-r", REALM, "-q", &q]);
    }
    // Squid's helper runs as `proxy`: it must read the service keytab.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&http_keytab, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let log = dir.0.join("kdc.log");
    let mut child = Command::new("krb5kdc")
        .arg("-n")
        .arg("-P")
        .arg(dir.0.join("kdc.pid"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start krb5kdc");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_for(addr, &mut child, "krb5kdc", &log);
    Some(Realm {
        kdc: Daemon { addr, dir, child },
        krb5_conf,
        http_keytab,
        client_keytab,
    })
}

impl Realm {
    /// `kinit` from the client keytab into a fresh ticket cache; its path.
    pub fn kinit(&self, name: &str) -> PathBuf {
        let cache = self.kdc.dir.0.join(name);
        let out = Command::new("kinit")
            .arg("-k")
            .arg("-t")
            .arg(&self.client_keytab)
            .arg("scanner")
            .env("KRB5_CONFIG", &self.krb5_conf)
            .env("KRB5CCNAME", format!("FILE:{}", cache.display()))
            .output()
            .expect("kinit");
        assert!(
            out.status.success(),
            "kinit: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cache
    }
}
