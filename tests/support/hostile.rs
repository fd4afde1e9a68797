//! Hand-written misbehaving servers for the verdict tests: each one breaks the
//! protocol in exactly one way a middlebox, a broken front end or an attacker does.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{pki, read_hello, tcp_server};

/// What a server needs from a ClientHello.
#[derive(Debug, Clone)]
pub struct ClientHelloInfo {
    /// The highest version offered: supported_versions when present, else
    /// client_version.
    pub version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub suites: Vec<u16>,
    /// The first key share (group, key).
    pub key_share: Option<(u16, Vec<u8>)>,
}

/// Parses a ClientHello record; `None` when it is not one.
pub fn parse_client_hello(rec: &[u8]) -> Option<ClientHelloInfo> {
    let body = rec.get(9..)?;
    let client_version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let random: [u8; 32] = body.get(2..34)?.try_into().ok()?;
    let sid_len = usize::from(*body.get(34)?);
    let session_id = body.get(35..35 + sid_len)?.to_vec();
    let mut at = 35 + sid_len;
    let suites_len = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    at += 2;
    let suites = body
        .get(at..at + suites_len)?
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    at += suites_len;
    at += 1 + usize::from(*body.get(at)?); // compression methods
    let mut version = client_version;
    let mut key_share = None;
    if let Some(ext_len) = body.get(at..at + 2) {
        let end = at + 2 + usize::from(u16::from_be_bytes([ext_len[0], ext_len[1]]));
        at += 2;
        while at + 4 <= end {
            let typ = u16::from_be_bytes([body[at], body[at + 1]]);
            let len = usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
            let data = body.get(at + 4..at + 4 + len)?;
            match typ {
                0x002b => {
                    version = data
                        .get(1..)?
                        .chunks(2)
                        .filter(|c| c.len() == 2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .filter(|v| *v <= 0x0304)
                        .max()?;
                }
                0x0033 => {
                    let group = u16::from_be_bytes([*data.get(2)?, *data.get(3)?]);
                    let klen = usize::from(u16::from_be_bytes([*data.get(4)?, *data.get(5)?]));
                    key_share = Some((group, data.get(6..6 + klen)?.to_vec()));
                }
                _ => {}
            }
            at += 4 + len;
        }
    }
    Some(ClientHelloInfo {
        version,
        random,
        session_id,
        suites,
        key_share,
    })
}

fn u24(n: usize) -> [u8; 3] {
    let b = (n as u32).to_be_bytes();
    [b[1], b[2], b[3]]
}

pub fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend(u24(body.len()));
    out.extend_from_slice(body);
    out
}

/// One handshake record (record version 0x0303) carrying `messages`.
pub fn record(messages: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = messages.concat();
    let mut out = vec![22, 3, 3];
    out.extend((body.len() as u16).to_be_bytes());
    out.extend(body);
    out
}

/// A ServerHello message; `tls13_share` adds supported_versions = 1.3 and a key share.
pub fn server_hello(
    version: u16,
    random: [u8; 32],
    session_id: &[u8],
    suite: u16,
    tls13_share: Option<(u16, &[u8])>,
) -> Vec<u8> {
    let mut b = version.to_be_bytes().to_vec();
    b.extend(random);
    b.push(session_id.len() as u8);
    b.extend_from_slice(session_id);
    b.extend(suite.to_be_bytes());
    b.push(0);
    if let Some((group, key)) = tls13_share {
        let mut exts = vec![0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33];
        exts.extend(((4 + key.len()) as u16).to_be_bytes());
        exts.extend(group.to_be_bytes());
        exts.extend((key.len() as u16).to_be_bytes());
        exts.extend_from_slice(key);
        b.extend((exts.len() as u16).to_be_bytes());
        b.extend(exts);
    }
    handshake(2, &b)
}

pub fn certificate(chain: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for c in chain {
        list.extend(u24(c.len()));
        list.extend_from_slice(c);
    }
    let mut body = u24(list.len()).to_vec();
    body.extend(list);
    handshake(11, &body)
}

pub fn server_hello_done() -> Vec<u8> {
    handshake(14, &[])
}

/// Serves every connection with `answer(hello)`: the bytes to send, then the
/// connection is held open (until the client goes) without another word.
pub fn scripted<F>(answer: F) -> SocketAddr
where
    F: Fn(&ClientHelloInfo) -> Vec<u8> + Send + Sync + 'static,
{
    let answer = std::sync::Arc::new(answer);
    tcp_server(move |mut tcp| {
        let answer = answer.clone();
        async move {
            let rec = read_hello(&mut tcp).await;
            let Some(info) = parse_client_hello(&rec) else {
                return;
            };
            let _ = tcp.write_all(&answer(&info)).await;
            hold(tcp).await;
        }
    })
}

/// Keeps the connection until the client closes it (or a minute passes).
async fn hold(mut tcp: TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(n) = tcp.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

fn lab_chain() -> Vec<Vec<u8>> {
    vec![pki().leaf_der.clone(), pki().ca_der.clone()]
}

/// Answers every hello with a ServerHello for the version and first suite offered
/// (echoing the client's own key share for TLS 1.3) and, for TLS ≤ 1.2, the lab
/// chain and ServerHelloDone — but can complete no handshake: no key exchange follows.
pub fn echo_server() -> SocketAddr {
    scripted(|h| {
        let chain = lab_chain();
        let suite = h.suites.first().copied().unwrap_or(0x002f);
        if h.version >= 0x0304 {
            let suite = h
                .suites
                .iter()
                .copied()
                .find(|s| s >> 8 == 0x13)
                .unwrap_or(0x1301);
            let (group, key) = h.key_share.clone().unwrap_or((0x001d, vec![0; 32]));
            return record(&[server_hello(
                0x0303,
                [7; 32],
                &h.session_id,
                suite,
                Some((group, &key)),
            )]);
        }
        record(&[
            server_hello(h.version, [7; 32], &h.session_id, suite, None),
            certificate(&[&chain[0], &chain[1]]),
            server_hello_done(),
        ])
    })
}

/// Accepts every version with cipher suite 0x1337, which nobody offers.
pub fn unoffered_suite_server() -> SocketAddr {
    scripted(|h| {
        let chain = lab_chain();
        if h.version >= 0x0304 {
            let (group, key) = h.key_share.clone().unwrap_or((0x001d, vec![0; 32]));
            return record(&[server_hello(
                0x0303,
                [8; 32],
                &h.session_id,
                0x1337,
                Some((group, &key)),
            )]);
        }
        record(&[
            server_hello(h.version, [8; 32], &h.session_id, 0x1337, None),
            certificate(&[&chain[0], &chain[1]]),
            server_hello_done(),
        ])
    })
}

/// A TLS 1.2-only box showing the lab chain with an ECDHE-ECDSA key exchange signed by
/// the lab key. `honest` signs over this client's random, as the real server would;
/// otherwise over the random of a session captured earlier — a replayed flight, from
/// something that does not hold the key. Other versions get protocol_version.
pub fn replay_server(honest: bool) -> SocketAddr {
    scripted(move |h| {
        if h.version != 0x0303 {
            return vec![21, 3, 3, 0, 2, 2, 70];
        }
        let suite = [0xc02b, 0xc02c, 0xc009, 0xc00a]
            .into_iter()
            .find(|s| h.suites.contains(s))
            .unwrap_or(0xc02b);
        let server_random = [0x33; 32];
        // ECParameters: named_curve secp256r1, then a 65-byte uncompressed point.
        let mut params = vec![3, 0x00, 0x17, 65, 4];
        params.extend([0x11; 64]);
        let client_random = if honest { h.random } else { [0x99; 32] };
        let mut signed = client_random.to_vec();
        signed.extend(server_random);
        signed.extend(&params);
        let sig = sign_p256(&signed);
        let mut ske = params.clone();
        ske.extend([0x04, 0x03]);
        ske.extend((sig.len() as u16).to_be_bytes());
        ske.extend(sig);
        let chain = lab_chain();
        record(&[
            server_hello(0x0303, server_random, &h.session_id, suite, None),
            certificate(&[&chain[0], &chain[1]]),
            handshake(12, &ske),
            server_hello_done(),
        ])
    })
}

/// ECDSA P-256 / SHA-256 with the lab leaf's key.
pub fn sign_p256(msg: &[u8]) -> Vec<u8> {
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
    let rng = ring::rand::SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pki().key_der, &rng)
        .expect("lab key is P-256 PKCS#8");
    key.sign(&rng, msg).expect("sign").as_ref().to_vec()
}

/// A front end that answers hellos offering more than `max_suites` suites with a
/// handshake_failure alert and relays the others to `backend`.
pub fn suite_intolerant_front(max_suites: usize, backend: SocketAddr) -> SocketAddr {
    tcp_server(move |mut tcp| async move {
        let hello = read_hello(&mut tcp).await;
        let n = parse_client_hello(&hello).map_or(usize::MAX, |h| h.suites.len());
        if n > max_suites {
            let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, 40]).await;
            let _ = tcp.shutdown().await;
            hold(tcp).await;
            return;
        }
        let Ok(mut up) = TcpStream::connect(backend).await else {
            return;
        };
        if up.write_all(&hello).await.is_ok() {
            let _ = tokio::io::copy_bidirectional(&mut tcp, &mut up).await;
        }
    })
}

/// Silent to hellos with more than 12 suites; alerts handshake_failure to the others:
/// only a (wrong) compact retry of a timeout could ever see a refusal.
pub fn silent_to_full_alerts_compact() -> SocketAddr {
    tcp_server(|mut tcp| async move {
        let hello = read_hello(&mut tcp).await;
        let n = parse_client_hello(&hello).map_or(usize::MAX, |h| h.suites.len());
        if n <= 12 {
            let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, 40]).await;
        }
        hold(tcp).await;
    })
}

/// A warning alert (unrecognized_name), then silence.
pub fn warning_then_silence() -> SocketAddr {
    tcp_server(|mut tcp| async move {
        read_hello(&mut tcp).await;
        let _ = tcp.write_all(&[21, 3, 3, 0, 2, 1, 112]).await;
        hold(tcp).await;
    })
}

/// Answers with a fatal alert in a record of version 0x0300 (SSL 3.0), as old stacks do.
pub fn ssl3_record_alert(description: u8) -> SocketAddr {
    tcp_server(move |mut tcp| async move {
        read_hello(&mut tcp).await;
        let _ = tcp.write_all(&[21, 3, 0, 0, 2, 2, description]).await;
        let _ = tcp.shutdown().await;
        hold(tcp).await;
    })
}

/// Answers any hello with a plain TLS 1.2 ServerHello (no supported_versions), the
/// lab chain and ServerHelloDone.
pub fn tls12_hello_to_everything() -> SocketAddr {
    scripted(|h| {
        let chain = lab_chain();
        record(&[
            server_hello(0x0303, [9; 32], &h.session_id, 0xc02f, None),
            certificate(&[&chain[0], &chain[1]]),
            server_hello_done(),
        ])
    })
}

/// A TLS 1.2 box that answers every hello offering TLS 1.2 or newer with a plain TLS
/// 1.2 ServerHello for static RSA (TLS_RSA_WITH_AES_128_GCM_SHA256, whether offered or
/// not), the lab chain and ServerHelloDone, and nothing more: its claim cannot be
/// proven (static RSA has no signature), and a real client's handshake (rustls offers
/// no static RSA) breaks on it. Older hellos get protocol_version.
pub fn static_rsa_claimer() -> SocketAddr {
    scripted(|h| {
        if h.version < 0x0303 {
            return vec![21, 3, 3, 0, 2, 2, 70];
        }
        let chain = lab_chain();
        record(&[
            server_hello(0x0303, [5; 32], &h.session_id, 0x009c, None),
            certificate(&[&chain[0], &chain[1]]),
            server_hello_done(),
        ])
    })
}

/// A TLS 1.2 server whose certificate (by its own CA, so its chain parses) carries an
/// RSA key with a modulus and a public exponent of `bytes` bytes each, and whose
/// ECDHE_RSA ServerKeyExchange holds a `bytes`-long signature: checking it costs
/// exponentiation with both, which grows with the cube of the size. Other versions get
/// protocol_version.
pub fn oversized_rsa_server(bytes: usize) -> SocketAddr {
    let mut n = vec![0xc5u8; bytes];
    n[0] = 0xff;
    n[bytes - 1] |= 1;
    let mut e = vec![0x5au8; bytes];
    e[0] = 0x7f;
    e[bytes - 1] |= 1;
    let ca = super::pki::Ca::new("Oversized Key CA");
    let leaf = ca.leaf_for(&["lab.test"], &super::pki::RsaPublicKey::new(&n, &e));
    let ca_der = ca.der.clone();
    scripted(move |h| {
        if h.version != 0x0303 || !h.suites.contains(&0xc02f) {
            return vec![21, 3, 3, 0, 2, 2, 70];
        }
        // ECParameters: named_curve secp256r1, a 65-byte point; rsa_pkcs1_sha256.
        let mut ske = vec![3, 0x00, 0x17, 65, 4];
        ske.extend([0x11; 64]);
        ske.extend([0x04, 0x01]);
        ske.extend((bytes as u16).to_be_bytes());
        ske.extend(std::iter::repeat_n(0x3c, bytes));
        record(&[
            server_hello(0x0303, [6; 32], &h.session_id, 0xc02f, None),
            certificate(&[&leaf, &ca_der]),
            handshake(12, &ske),
            server_hello_done(),
        ])
    })
}

/// The handshake `messages` cut into records of at most 16,384 bytes (a flight bigger
/// than one record: a huge certificate).
pub fn records(messages: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = messages.concat();
    let mut out = Vec::new();
    for part in body.chunks(16_384) {
        out.extend([22, 3, 3]);
        out.extend((part.len() as u16).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// The first ECDHE suite the hello offers (TLS ≤ 1.2), else ECDHE-RSA-AES128-GCM.
fn ecdhe_suite(h: &ClientHelloInfo) -> u16 {
    h.suites
        .iter()
        .copied()
        .find(|s| matches!(s >> 8, 0xc0) && *s != 0xc0ff)
        .unwrap_or(0xc02f)
}

/// How a [`hello_then`] server ends its flight after the ServerHello.
#[derive(Clone, Copy, Debug)]
pub enum After {
    /// Says nothing more and keeps the connection open.
    Stall,
    /// Closes the connection.
    Close,
}

/// Answers every hello with a TLS 1.2 ServerHello for an ECDHE suite the hello offered,
/// at the hello's version (TLS 1.0 to 1.2), and then never completes the flight (no Certificate, no ServerKeyExchange): the claim
/// proves nothing, and a real client fails right there.
pub fn hello_then(after: After) -> SocketAddr {
    tcp_server(move |mut tcp| async move {
        let rec = read_hello(&mut tcp).await;
        let Some(h) = parse_client_hello(&rec) else {
            return;
        };
        let version = h.version.min(0x0303);
        let hello = server_hello(version, [0x21; 32], &h.session_id, ecdhe_suite(&h), None);
        let _ = tcp.write_all(&record(&[hello])).await;
        match after {
            After::Stall => hold(tcp).await,
            After::Close => {
                let _ = tcp.shutdown().await;
                hold(tcp).await;
            }
        }
    })
}

/// A TLS 1.3 answer recorded from another session and replayed to every hello offering
/// TLS 1.3: a ServerHello with the recorded x25519 share (`share_len` bytes of it: 32 is
/// a well-formed one, 5 a broken one), a ChangeCipherSpec and the recorded encrypted
/// records, which no client of ours can decrypt. Hellos without TLS 1.3 get
/// protocol_version.
pub fn tls13_replayer(share_len: usize) -> SocketAddr {
    scripted(move |h| {
        if h.version < 0x0304 {
            return vec![21, 3, 3, 0, 2, 2, 70];
        }
        let share = vec![0x5e; share_len];
        let mut out = record(&[server_hello(
            0x0303,
            [0x13; 32],
            &h.session_id,
            0x1301,
            Some((0x001d, &share)),
        )]);
        out.extend([20, 3, 3, 0, 1, 1]);
        // "Encrypted" EncryptedExtensions, Certificate, CertificateVerify, Finished.
        for len in [40usize, 900, 280, 69] {
            out.extend([23, 3, 3]);
            out.extend((len as u16).to_be_bytes());
            out.extend((0..len).map(|i| (i * 7 + len) as u8));
        }
        out
    })
}

/// Answers every hello offering TLS 1.3 with a HelloRetryRequest for secp256r1 and then
/// says nothing more, whatever the client sends. Older hellos get protocol_version.
pub fn retry_then_silence() -> SocketAddr {
    scripted(|h| {
        if h.version < 0x0304 {
            return vec![21, 3, 3, 0, 2, 2, 70];
        }
        let mut b = 0x0303u16.to_be_bytes().to_vec();
        b.extend(crate_hrr_random());
        b.push(h.session_id.len() as u8);
        b.extend_from_slice(&h.session_id);
        b.extend(0x1301u16.to_be_bytes());
        b.push(0);
        // supported_versions 1.3; key_share asking for secp256r1 (the group alone).
        let exts = [
            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02, 0x00, 0x17,
        ];
        b.extend((exts.len() as u16).to_be_bytes());
        b.extend(exts);
        record(&[handshake(2, &b)])
    })
}

fn crate_hrr_random() -> [u8; 32] {
    tlscompat::wire::reply::HRR_RANDOM
}

/// A TLS 1.2 server whose certificate carries an RSA key of `bits` bits (e = 65537;
/// nobody holds the private half), with an ECDHE_RSA ServerKeyExchange signed by
/// nothing (a signature as long as the modulus). Real clients stop at 16,384 bits
/// (SChannel) or 8,192 (rustls). Other versions get protocol_version.
pub fn rsa_key_of_bits(bits: usize) -> SocketAddr {
    let bytes = bits / 8;
    let mut n = vec![0xc5u8; bytes];
    n[0] = 0xff;
    n[bytes - 1] |= 1;
    let ca = super::pki::Ca::new("Huge Key CA");
    let leaf = ca.leaf_for(
        &["lab.test", "127.0.0.1"],
        &super::pki::RsaPublicKey::new(&n, &[1, 0, 1]),
    );
    let ca_der = ca.der.clone();
    scripted(move |h| {
        // ECDHE_RSA with AES-GCM where offered, else AES-CBC-SHA (TLS 1.0).
        let Some(suite) = [0xc02f, 0xc027, 0xc013]
            .into_iter()
            .find(|s| h.suites.contains(s))
        else {
            return vec![21, 3, 3, 0, 2, 2, 40];
        };
        let version = h.version.min(0x0303);
        let mut ske = vec![3, 0x00, 0x17, 65, 4];
        ske.extend([0x11; 64]);
        if version == 0x0303 {
            ske.extend([0x04, 0x01]);
        }
        ske.extend((bytes as u16).to_be_bytes());
        ske.extend(std::iter::repeat_n(0x3c, bytes));
        records(&[
            server_hello(version, [6; 32], &h.session_id, suite, None),
            certificate(&[&leaf, &ca_der]),
            handshake(12, &ske),
            server_hello_done(),
        ])
    })
}

/// A TLS 1.2 ServerHello (ECDHE) followed by a Certificate message that never ends: its
/// header says 16 MiB and the server streams records of filler for as long as the
/// client reads (up to a minute).
pub fn endless_certificate() -> SocketAddr {
    tcp_server(|mut tcp| async move {
        let rec = read_hello(&mut tcp).await;
        let Some(h) = parse_client_hello(&rec) else {
            return;
        };
        let version = h.version.min(0x0303);
        let hello = server_hello(version, [0x2e; 32], &h.session_id, ecdhe_suite(&h), None);
        let mut first = hello;
        first.extend([11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc]);
        if tcp.write_all(&record(&[first])).await.is_err() {
            return;
        }
        let mut filler = vec![22, 3, 3, 0x40, 0x00];
        filler.extend(std::iter::repeat_n(0x30, 0x4000));
        let until = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::time::Instant::now() < until {
            if tcp.write_all(&filler).await.is_err() {
                return;
            }
        }
    })
}
