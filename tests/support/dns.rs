//! An in-process DNS server for the lab: answers A/AAAA/CNAME queries from a [`Zone`]
//! over UDP and TCP on one loopback port, plus a dead resolver that never answers.
//!
//! Messages are decoded and encoded with hickory-proto (re-exported by hickory-server);
//! the serving loops are plain tokio sockets running on the lab runtime.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use hickory_server::proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME};
use hickory_server::proto::rr::{DNSClass, Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use super::lab;

/// TTL of every record served.
const TTL: u32 = 60;
/// Longest CNAME chain followed before giving up with SERVFAIL (loops end here too).
const MAX_CHAIN: usize = 16;

/// What the zone holds for one name.
#[derive(Default, Clone, Debug)]
struct Entry {
    a: Vec<Ipv4Addr>,
    aaaa: Vec<Ipv6Addr>,
    cname: Option<String>,
    servfail: bool,
}

/// Zone data: plain data, built by tests.
#[derive(Default, Clone, Debug)]
pub struct Zone {
    entries: HashMap<String, Entry>,
}

/// Lowercase, without the trailing dot: the zone's key for a name.
fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The fully qualified wire name for a zone key.
fn fqdn(key: &str) -> Option<Name> {
    Name::from_ascii(format!("{key}.")).ok()
}

impl Zone {
    pub fn new() -> Self {
        Self::default()
    }

    fn entry(&mut self, name: &str) -> &mut Entry {
        let k = key(name);
        assert!(fqdn(&k).is_some(), "invalid DNS name in lab zone: {name:?}");
        self.entries.entry(k).or_default()
    }

    /// Adds an A record (several per name are allowed).
    pub fn a(mut self, name: &str, ip: Ipv4Addr) -> Self {
        self.entry(name).a.push(ip);
        self
    }

    /// Adds an AAAA record (several per name are allowed).
    pub fn aaaa(mut self, name: &str, ip: Ipv6Addr) -> Self {
        self.entry(name).aaaa.push(ip);
        self
    }

    /// Makes `name` an alias of `target` (chains are allowed: a -> b -> c).
    pub fn cname(mut self, name: &str, target: &str) -> Self {
        let target = key(target);
        assert!(
            fqdn(&target).is_some(),
            "invalid CNAME target in lab zone: {target:?}"
        );
        self.entry(name).cname = Some(target);
        self
    }

    /// Queries for `name` get SERVFAIL.
    pub fn servfail(mut self, name: &str) -> Self {
        self.entry(name).servfail = true;
        self
    }

    /// The answer section and response code for one question.
    fn answer(&self, qname: &Name, qtype: RecordType) -> (ResponseCode, Vec<Record>) {
        let mut answers = Vec::new();
        // The first owner name echoes the question's spelling (0x20 case randomization).
        let mut owner = qname.clone();
        let mut current = key(&qname.to_ascii());
        for _ in 0..MAX_CHAIN {
            let Some(entry) = self.entries.get(&current) else {
                // RFC 6604: the rcode describes the last name of the chain.
                return (ResponseCode::NXDomain, answers);
            };
            if entry.servfail {
                return (ResponseCode::ServFail, Vec::new());
            }
            match (&entry.cname, qtype) {
                (Some(target), t) if t != RecordType::CNAME => {
                    let Some(target_name) = fqdn(target) else {
                        return (ResponseCode::ServFail, Vec::new());
                    };
                    answers.push(Record::from_rdata(
                        owner,
                        TTL,
                        RData::CNAME(CNAME(target_name.clone())),
                    ));
                    owner = target_name;
                    current = target.clone();
                }
                (cname, _) => {
                    let data: Vec<RData> = match qtype {
                        RecordType::A => entry.a.iter().map(|ip| RData::A(A(*ip))).collect(),
                        RecordType::AAAA => {
                            entry.aaaa.iter().map(|ip| RData::AAAA(AAAA(*ip))).collect()
                        }
                        RecordType::CNAME => cname
                            .iter()
                            .filter_map(|t| fqdn(t))
                            .map(|t| RData::CNAME(CNAME(t)))
                            .collect(),
                        _ => Vec::new(),
                    };
                    answers.extend(
                        data.into_iter()
                            .map(|d| Record::from_rdata(owner.clone(), TTL, d)),
                    );
                    return (ResponseCode::NoError, answers);
                }
            }
        }
        (ResponseCode::ServFail, Vec::new())
    }

    /// The encoded response to an encoded query, or `None` to stay silent (the bytes
    /// were not a DNS query at all). `udp` limits the size, setting TC when exceeded.
    fn respond(&self, request: &[u8], udp: bool) -> Option<Vec<u8>> {
        let query = match Message::from_vec(request) {
            Ok(q) => q,
            Err(_) => {
                // Undecodable: FORMERR if there is at least an id to answer to.
                let id = u16::from_be_bytes([*request.first()?, *request.get(1)?]);
                return Message::error_msg(id, OpCode::Query, ResponseCode::FormErr)
                    .to_vec()
                    .ok();
            }
        };
        if query.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut response = Message::response(query.metadata.id, query.metadata.op_code);
        response.metadata.recursion_desired = query.metadata.recursion_desired;
        response.metadata.checking_disabled = query.metadata.checking_disabled;
        response.metadata.recursion_available = true;
        response.queries = query.queries.clone();
        if query.edns.is_some() {
            let mut edns = Edns::new();
            edns.set_max_payload(1232);
            response.edns = Some(edns);
        }
        match (query.metadata.op_code, query.queries.as_slice()) {
            (OpCode::Query, [q]) if q.query_class == DNSClass::IN => {
                let (code, answers) = self.answer(&q.name, q.query_type);
                response.metadata.authoritative = code != ResponseCode::ServFail;
                response.metadata.response_code = code;
                response.answers = answers;
            }
            (OpCode::Query, [_]) => response.metadata.response_code = ResponseCode::Refused,
            (OpCode::Query, _) => response.metadata.response_code = ResponseCode::FormErr,
            _ => response.metadata.response_code = ResponseCode::NotImp,
        }
        let bytes = response.to_vec().ok()?;
        if udp && bytes.len() > usize::from(query.max_payload().max(512)) {
            return response.truncate().to_vec().ok();
        }
        Some(bytes)
    }
}

/// Binds UDP and TCP on the same ephemeral loopback port, both non-blocking.
fn bind_pair() -> (std::net::UdpSocket, std::net::TcpListener, SocketAddr) {
    for _ in 0..100 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let addr = udp.local_addr().expect("udp addr");
        // The TCP side of that port may be taken by someone else: pick another then.
        let Ok(tcp) = std::net::TcpListener::bind(addr) else {
            continue;
        };
        udp.set_nonblocking(true).expect("nonblocking udp");
        tcp.set_nonblocking(true).expect("nonblocking tcp");
        return (udp, tcp, addr);
    }
    panic!("no loopback port free for both UDP and TCP");
}

/// Reads one length-prefixed DNS message from a TCP stream.
async fn read_framed(tcp: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    tcp.read_exact(&mut len).await.ok()?;
    let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
    tcp.read_exact(&mut msg).await.ok()?;
    Some(msg)
}

/// Starts a UDP+TCP DNS server on 127.0.0.1 with one ephemeral port (same port for
/// UDP and TCP), answering authoritatively from `zone`:
/// - A/AAAA queries follow CNAMEs inside the zone and answer with the CNAME records
///   plus the final A/AAAA records; NOERROR with an empty answer when the name exists
///   without records of that type;
/// - names not in the zone: NXDOMAIN;
/// - servfail names: SERVFAIL.
///
/// Names are case-insensitive, with or without trailing dot.
pub fn dns_server(zone: Zone) -> SocketAddr {
    dns_server_delayed(zone, std::time::Duration::ZERO)
}

/// [`dns_server`] whose UDP answers leave `rtt` after the query came: a resolver one
/// round trip away (the latency bench puts it across the same emulated WAN as the
/// servers). TCP answers are not delayed.
pub fn dns_server_delayed(zone: Zone, rtt: std::time::Duration) -> SocketAddr {
    let (udp, tcp, addr) = bind_pair();
    let zone = Arc::new(zone);

    let udp_zone = Arc::clone(&zone);
    lab().spawn(async move {
        let socket = Arc::new(UdpSocket::from_std(udp).expect("tokio udp socket"));
        let mut buf = vec![0u8; 65535];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            let Some(reply) = udp_zone.respond(&buf[..n], true) else {
                continue;
            };
            if rtt.is_zero() {
                let _ = socket.send_to(&reply, peer).await;
            } else {
                let socket = Arc::clone(&socket);
                tokio::spawn(async move {
                    tokio::time::sleep(rtt).await;
                    let _ = socket.send_to(&reply, peer).await;
                });
            }
        }
    });

    lab().spawn(async move {
        let listener = TcpListener::from_std(tcp).expect("tokio tcp listener");
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let zone = Arc::clone(&zone);
            tokio::spawn(async move {
                while let Some(request) = read_framed(&mut stream).await {
                    let Some(reply) = zone.respond(&request, false) else {
                        continue;
                    };
                    let Ok(len) = u16::try_from(reply.len()) else {
                        break;
                    };
                    let mut framed = len.to_be_bytes().to_vec();
                    framed.extend(reply);
                    if stream.write_all(&framed).await.is_err() {
                        break;
                    }
                }
            });
        }
    });

    addr
}

/// A UDP+TCP socket on 127.0.0.1 that receives queries and never answers (a dead
/// resolver). Returns its address.
pub fn silent_dns() -> SocketAddr {
    let (udp, tcp, addr) = bind_pair();

    lab().spawn(async move {
        let socket = UdpSocket::from_std(udp).expect("tokio udp socket");
        let mut buf = vec![0u8; 65535];
        loop {
            let _ = socket.recv_from(&mut buf).await;
        }
    });

    lab().spawn(async move {
        let listener = TcpListener::from_std(tcp).expect("tokio tcp listener");
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            // Swallow everything until the client gives up and closes.
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });

    addr
}
