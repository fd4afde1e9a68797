//! nginx front ends for the benches: Debian's nginx (OpenSSL), started from a
//! temporary configuration with its pid file and error log in a temporary directory,
//! killed on drop. Each front end is one `listen` address with its own protocol set and
//! chain, as the servers a real scan meets: OpenSSL with the legacy versions switched
//! on the way an old front end has them (`ssl_protocols TLSv1 TLSv1.1 TLSv1.2
//! TLSv1.3`, `ssl_ciphers 'DEFAULT:@SECLEVEL=0'`: OpenSSL 3 refuses TLS 1.0/1.1
//! without the lower security level). Everything else is nginx's default (session
//! tickets on, no session cache).

#![allow(dead_code)]

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One front end: an address and what it serves.
pub struct FrontEnd {
    pub ip: Ipv4Addr,
    /// `ssl_protocols`, e.g. "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3".
    pub protocols: &'static str,
    /// Leaf + issuing CA, PEM; and the leaf's key, PEM.
    pub chain_pem: String,
    pub key_pem: String,
}

/// A running nginx; killed (and its workers with it) on drop.
pub struct Nginx {
    child: Child,
    pub port: u16,
    pub workers: usize,
}

impl Nginx {
    /// The master's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU seconds (user + system) nginx's processes have used so far: the workers do
    /// the TLS work, the master nothing once started.
    pub fn cpu(&self) -> f64 {
        let mut pids = super::measure::children_of(self.pid());
        pids.push(self.pid());
        super::measure::cpu_of(&pids)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: nginx's fast shutdown; the workers exit with the master.
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Is Debian's nginx there?
pub fn available() -> bool {
    Command::new("nginx")
        .arg("-v")
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A port free on every front end's address (the same port on each, as a real
/// front end's 443).
fn free_port(ips: &[Ipv4Addr]) -> u16 {
    'next: for _ in 0..50 {
        let first = TcpListener::bind((ips[0], 0)).expect("bind");
        let port = first.local_addr().expect("addr").port();
        for ip in &ips[1..] {
            if TcpListener::bind((*ip, port)).is_err() {
                continue 'next;
            }
        }
        return port;
    }
    panic!("no port free on every front-end address");
}

/// Starts nginx with `workers` worker processes serving `fronts`, everything under
/// `dir`, and waits until every address takes connections.
pub fn start(fronts: &[FrontEnd], workers: usize, dir: &Path) -> Nginx {
    let ips: Vec<Ipv4Addr> = fronts.iter().map(|f| f.ip).collect();
    let port = free_port(&ips);
    let d = dir.display();
    let mut conf = format!(
        "daemon off;\nmaster_process on;\nworker_processes {workers};\npid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\nworker_rlimit_nofile 8192;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n  \
         fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n"
    );
    for (i, f) in fronts.iter().enumerate() {
        let chain = dir.join(format!("chain{i}.pem"));
        let key = dir.join(format!("key{i}.pem"));
        std::fs::write(&chain, &f.chain_pem).expect("chain");
        std::fs::write(&key, &f.key_pem).expect("key");
        let _ = write!(
            conf,
            "  server {{\n    listen {}:{port} ssl;\n    server_name _;\n    \
             ssl_certificate {};\n    ssl_certificate_key {};\n    ssl_protocols {};\n    \
             ssl_ciphers 'DEFAULT:@SECLEVEL=0';\n    return 200 \"ok\\n\";\n  }}\n",
            f.ip,
            chain.display(),
            key.display(),
            f.protocols
        );
    }
    conf.push_str("}\n");
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).expect("nginx.conf");
    std::fs::create_dir_all(dir.join("tmp")).expect("tmp");
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let nginx = Nginx {
        child,
        port,
        workers,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    for ip in &ips {
        while std::net::TcpStream::connect(SocketAddr::from((*ip, port))).is_err() {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "nginx did not start:\n{log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    nginx
}
